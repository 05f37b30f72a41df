"""The expand stage: a chosen sentence quoted with the sentences of its paragraph that go on with it."""

from rag.answer.units import Evidence, candidate_units
from rag.answer.expand import EXPAND_CHARS, expand
from rag.answer.retrieval import ScoredChunk
from rag.answer.rules import Rules

from .test_evidence import chunk, profile

PAPER = ("A key difference between traditional ML and DL is in how features are extracted. Traditional ML "
         "approaches use handmade features. DL learns the features automatically, in a hierarchy. "
         "The weather was fine.\n\nA new paragraph about features extracted by DL.")


def ranked(text: str, scores: list[float]) -> tuple[list[Evidence], list]:
    passages = [chunk(text)]
    units = candidate_units([ScoredChunk(passages[0], 1.0, 1.0, 1.0)])
    for u, s in zip(units, scores):
        u.score = s
    return units, passages


def test_a_unit_takes_on_the_following_sentences_that_stay_on_the_question():
    units, passages = ranked(PAPER, [1.0, 0.8, 0.7, 0.1, 0.9])
    q = profile("What distinguishes ML from DL in feature extraction?")  # a fact question: growth by score
    [grown] = expand([units[0]], units, q, passages)
    assert grown.text == PAPER[: PAPER.index(" The weather")]  # a verbatim span, stopped off the question
    assert grown.text == passages[0].text[grown.start:grown.end]


def test_growth_stops_at_the_paragraph_and_never_repeats_a_chosen_unit():
    units, passages = ranked(PAPER, [1.0, 0.8, 0.7, 0.9, 0.9])
    q = profile("What is the key difference between ML and DL in feature extraction?")
    grown = expand([units[0], units[2], units[4]], units, q, passages)
    assert [g.text for g in grown] == [PAPER[: PAPER.index("\n\n")], units[4].text]


def test_short_answers_stay_one_sentence():
    units, passages = ranked(PAPER, [1.0, 0.9, 0.9, 0.9, 0.9])
    for question in ("When were features extracted?", "Did DL extract features?", "How many features are there?"):
        assert expand([units[0]], units, profile(question), passages) == [units[0]]


def test_growth_is_bounded():
    long_paper = " ".join(f"Sentence {n} says features are extracted by deep learning models." for n in range(40))
    units, passages = ranked(long_paper, [1.0] * 40)
    [grown] = expand([units[0]], units, profile("How are features extracted?"), passages)
    assert len(grown.text) <= EXPAND_CHARS


def test_a_sentence_that_refers_back_goes_with_the_one_before_it():
    text = ("The initialization is based on a symmetric activation function. This approach is known as Xavier "
            "initialization. The weather was fine.")
    units, passages = ranked(text, [0.2, 1.0, 0.1])
    [grown] = expand([units[1]], units, profile("What is Xavier initialization based on?"), passages)
    assert grown.text == text[: text.index(" The weather")]


def test_an_explanation_takes_the_rest_of_its_paragraph_whatever_it_scores():
    text = ("Batch normalization helps accelerate training. The inputs are transformed to zero mean. "
            "Results improve. The variance is one.\n\nThe weather was fine.")
    units, passages = ranked(text, [1.0, 0.1, 0.1, 0.1, 0.1])
    for question in ("How does batch normalization help training?",
                     "What does batch normalization do? Why does it help?",  # several questions
                     "What are some effects of batch normalization?"):  # a list
        [grown] = expand([units[0]], units, profile(question), passages)
        assert grown.text == text[: text.index("\n\n")]
    [fact] = expand([units[0]], units, profile("Which method accelerates training?"), passages)
    assert fact.text == units[0].text  # a fact question keeps its one sentence


def test_a_sentence_the_judge_rejected_never_opens_a_quote():
    text = ("The Marches came under the dominance of William after the conquest. These Normans began a slow "
            "conquest. Norman words entered Welsh.")
    units, passages = ranked(text, [0.9, 1.0, 0.1])
    units[0].rejected = True  # the judge said it does not answer
    [grown] = expand([units[1]], units, profile("What came under William's dominance before the conquest?"), passages)
    assert "Marches" not in grown.text
    # ... but a rejected sentence after the unit may go on with it (one step of the answer).
    units[2].rejected = True
    [grown] = expand([units[1]], units, profile("How did the Normans conquer Wales?"), passages)
    assert grown.text.endswith("entered Welsh.")


def test_a_chain_of_sentences_leaning_back_is_followed_to_its_start():
    text = ("DenseNet was developed by Gao Huang in 2017. Therefore, it is formed with dense connectivity. "
            "This concept is efficient for feature reuse. The weather was fine.")
    units, passages = ranked(text, [0.2, 0.3, 1.0, 0.1])
    [grown] = expand([units[2]], units, profile("Which concept is efficient for feature reuse?"), passages)
    assert grown.text == text[: text.index(" The weather")]


def test_an_open_question_takes_the_run_of_sentences_before_its_best_one_that_stay_on_it():
    text = ("Unrelated opening words here. MIT proposed Eyeriss as a chip. Dadiannao is another chip. "
            "Stanford proposed the EIE chip in 2016. Google built the TPU chip.")
    units, passages = ranked(text, [0.1, 0.6, 0.6, 1.0, 0.7])
    q = profile("Can you give an overview of the chips, including Eyeriss, Dadiannao, EIE and TPU?")
    [grown] = expand([units[3]], units, q, passages)
    assert grown.text == text[text.index("MIT"):]  # back to the run's start, not past an off-topic sentence
    [fact] = expand([units[3]], units, profile("Which university proposed the EIE chip?"), passages)
    assert fact.text.startswith("Stanford")  # a fact question does not grow backwards
    units[1].rejected = True
    [grown] = expand([units[3]], units, q, passages)
    assert grown.text.startswith("Dadiannao")  # nor over a sentence the judge said no to


STRATEGIES = ("There are strategies to design efficient models. According to the paper, Strategy 1: Replace "
              "3x3 filters with 1x1 filters. The main reason is fewer parameters. It saves memory. It saves "
              "time.\nStrategy 2: Decrease the number of input channels. The output size is computed.\n"
              "Strategy 3: Down-sample late in the network. Larger activation maps help.\nThe weather was fine.")


def test_an_enumeration_is_quoted_item_by_item_when_a_unit_holds_part_of_it():
    units, passages = ranked(STRATEGIES, [1.0, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    q = profile("What are the strategies to design efficient models?")
    grown = expand([units[0]], units, q, passages)
    assert [g.text.split(":")[0] for g in grown[1:]] == ["Strategy 2", "Strategy 3"]
    assert grown[1].text == "Strategy 2: Decrease the number of input channels."  # the item's own sentence
    assert all(g.text == STRATEGIES[g.start:g.end] for g in grown)
    strategy_3 = next(u for u in units if u.text.startswith("Strategy 3"))
    grown = expand([strategy_3], units, q, passages)
    assert [g.text.split(":")[0] for g in grown] == ["According to the paper, Strategy 1", "Strategy 2",
                                                     "Strategy 3"]  # the items before, in reading order
    assert expand([units[1]], units, profile("Which filters replace 3x3 filters?"), passages) == [units[1]]
    off = expand([units[0]], units, q, passages, Rules(frozenset({"enumeration"})))  # RAG_RULES_OFF=enumeration
    assert not any(g.text.startswith("Strategy") for g in off)


def test_the_other_side_of_a_comparison_is_taken_past_a_table_even_in_the_next_passage():
    """"Traditional ML uses handmade features ... / TABLE I ... / On the other hand, in the case of DL, ...":
    a paragraph opening "On the other hand" states what the one before it is compared with."""
    from rag.index.store import Chunk

    first = "A key difference between ML and DL is how features are extracted. Traditional ML uses handmade features."
    second = ("TABLE I\nLEARNING APPROACHES\nRule based Input Output\nDeep Learning Input Features\n\n"
              "On the other hand, in the case of DL, the features are learned automatically. The weather was fine.")
    doc = first + "\n" + second
    passages = [Chunk("d:0:0", "d", first, "Paper", "Paper", None, 0, 0, len(first), "h"),
                Chunk("d:0:1", "d", second, "Paper", "Paper", None, 0, len(first) + 1, len(doc), "h")]
    units = candidate_units([ScoredChunk(p, 1.0, 1.0, 1.0) for p in passages])
    for u, score in zip(units, [1.0, 0.9, 0.2, 0.3, 0.1]):
        u.score = score
    q = profile("What is the key difference between ML and DL in how features are extracted?")
    assert q.open
    grown = expand([units[0]], units, q, passages)
    assert [g.text for g in grown] == [first, "On the other hand, in the case of DL, the features are learned automatically."]
    assert grown[1].passage == 2  # quoted from its own passage, verbatim
    assert [g.text for g in expand([units[0]], units, q, passages, Rules(frozenset({"other_side"})))] == [first]
    fact = profile("Which features does traditional ML use?")
    assert expand([units[1]], units, fact, passages) == [units[1]]  # a fact question takes no other side
    prose = second.replace("Deep Learning Input Features", "The table compares the learning approaches of each kind.")
    passages[1] = Chunk("d:0:1", "d", prose, "Paper", "Paper", None, 0, len(first) + 1, len(first) + 1 + len(prose), "h")
    units = candidate_units([ScoredChunk(p, 1.0, 1.0, 1.0) for p in passages])
    for u in units:
        u.score = 1.0 if u.passage == 1 else 0.2
    assert len(expand([units[0]], units, q, passages)) == 1  # a sentence of prose between: a new point, not taken
