"""The expand stage: a chosen sentence quoted with the sentences of its paragraph that go on with it."""

from rag.evidence import Evidence, candidate_units
from rag.expand import EXPAND_CHARS, expand
from rag.retrieval import ScoredChunk

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
    q = profile("What is the key difference between ML and DL in feature extraction?")
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
