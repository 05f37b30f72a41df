"""The evidence stage: each ranking feature on its own, then ranking and choosing through the real seams."""

import numpy as np
import pytest

from rag.answer import evidence as ev
from rag.answer.evidence import RankContext, choose, rank
from rag.answer.units import Evidence
from rag.answer.question import profile_question
from rag.index.lexical_sqlite import SqliteLexicalIndex as LexicalIndex
from rag.index.store import Chunk


def chunk(text: str, n: int = 0, start: int = 0, title: str = "A story") -> Chunk:
    return Chunk(id=f"d{n}:0:{n}", doc_id=f"d{n}", text=text, title=title, doc_title=title, date=None, story=0,
                 start=start, end=start + len(text), content_hash="h")


CHUNKS = [
    chunk("Spokesman Zhao Lijian did not deny the charge but played it down. He said cooperation had momentum."),
    chunk("The forum opened in Jiaozhou on Thursday. Over 1,000 activities were held in 2021.", 1),
    chunk("Researchers met in the capital. The weather was fine and everyone was pleased with the food.", 2),
]
# Filler chunks make names rare, as in a real corpus (a word in most chunks is a topic, not a name).
LEXICAL = LexicalIndex.of_chunks(CHUNKS + [chunk(f"Filler text number {n} about nothing in particular.", 10 + n) for n in range(7)])


def unit(text: str, window: str | None = None, passage: int = 1) -> Evidence:
    return Evidence(passage, 0, len(text), text, window or text, 0)


def ctx(hits: int = 3) -> RankContext:
    return RankContext(np.ones(2) / np.sqrt(2), {}, hits)


def profile(question: str):
    return profile_question(question, LEXICAL)


def test_coverage_counts_the_rare_question_words_found():
    q = profile("Where did the forum open?")
    assert ev.coverage(unit("The forum opened in Jiaozhou on Thursday."), q, ctx()) == pytest.approx(1.0)
    assert ev.coverage(unit("The weather was fine."), q, ctx()) == 0.0


def test_window_coverage_looks_at_the_neighbours():
    q = profile("What did Zhao say about cooperation?")
    alone = unit("It had momentum.", window="Zhao spoke about cooperation. It had momentum.")
    assert ev.window_coverage(alone, q, ctx()) > ev.coverage(alone, q, ctx())


def test_answer_type_wants_a_place_for_where_and_a_number_for_how_many():
    assert ev.answer_type(unit("The forum opened in Jiaozhou."), profile("Where did the forum open?"), ctx()) == 1.0
    assert ev.answer_type(unit("The forum opened."), profile("Where did the forum open?"), ctx()) == 0.0
    assert ev.answer_type(unit("Over 1,000 were held."), profile("How many activities were held?"), ctx()) == 1.0


def test_who_wants_a_name_not_any_lowercase_role_word():
    q = profile("Who opened the forum?")
    assert ev.answer_type(unit("Zhao Lijian opened the forum."), q, ctx()) == 1.0
    assert ev.answer_type(unit("the president opened the forum."), q, ctx()) == 0.0


def test_speaker_feature_finds_whose_words_are_asked_for():
    q = profile("What did Zhao say about cooperation?")
    assert ev.speaker(unit("Zhao said cooperation had momentum."), q, ctx()) == 1.0
    assert ev.speaker(unit("Cooperation had momentum."), q, ctx()) == 0.0


def test_premise_correction_finds_the_sentence_that_negates_the_question():
    q = profile("Did Zhao deny the charge?")
    assert ev.premise_correction(unit("Zhao did not deny the charge."), q, ctx()) == 1.0
    assert ev.premise_correction(unit("Zhao repeated the charge."), q, ctx()) == 0.0


def test_retrieval_rank_prefers_earlier_chunks():
    assert ev.retrieval_rank(unit("x y z", passage=1), profile("x"), ctx()) > \
        ev.retrieval_rank(unit("x y z", passage=3), profile("x"), ctx())


def test_every_feature_has_a_weight_with_a_reason():
    assert set(ev.FEATURES) == set(ev.WEIGHTS)
    source = open(ev.__file__).read()
    for name in ev.WEIGHTS:
        line = next(line for line in source.splitlines() if line.strip().startswith(f'"{name}":') and "#" in line)
        assert line.split("#", 1)[1].strip(), name


def test_rank_orders_by_the_weighted_features_and_choose_drops_near_duplicates():
    q = profile("Where did the forum open?")
    units = [unit("The weather was fine and everyone was pleased.", passage=3),
             unit("The forum opened in Jiaozhou on Thursday.", passage=2),
             unit("The forum opened in Jiaozhou on Thursday, it said.", passage=2)]
    vectors = {u.text: np.ones(2) / np.sqrt(2) for u in units}
    ranked = rank(units, q, RankContext(np.ones(2) / np.sqrt(2), vectors, 3))
    assert ranked[0].text.startswith("The forum opened")
    chosen = choose(ranked, q)
    assert len(chosen) == 1


def test_an_open_question_keeps_every_unit_the_judge_accepted():
    q = profile("Can you provide examples of datasets used for language modeling and machine translation?")
    best = unit("Word embeddings are used for machine translation and language modeling tasks.")
    section = unit("C. Language modeling\n▪ free eBooks\n▪ Brown corpus", passage=2)
    best.score, section.score = 0.7, 0.47  # the section adds no question word the best lacks
    assert choose([best, section], q) == [best]  # without a judge: lexical rules only
    best.judged, section.judged = 0.33, 0.39  # the judge accepted both as surely: each is one part of the answer
    assert choose([best, section], q) == [best, section]
    assert choose([best, section], profile("Which datasets are used for language modeling?")) == [best]


def test_an_open_question_leaves_out_a_unit_the_judge_accepted_much_less_surely():
    q = profile("What are the different types of deep learning approaches?")
    best = unit("Deep learning approaches can be categorized as supervised, semi-supervised and unsupervised.")
    other = unit("People use different deep learning frameworks and SDKs.", passage=2)
    best.score, other.score, best.judged, other.judged = 0.9, 0.52, 0.68, 0.31
    assert choose([best, other], q) == [best]
