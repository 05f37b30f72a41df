"""The expand stage: a chosen sentence quoted with the sentences of its paragraph that go on with it."""

from rag.answer.units import Evidence, candidate_units
from rag.answer.expand import EXPAND_CHARS, expand
from rag.answer.retrieval import ScoredChunk

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


