"""The citation guard: what a drafted answer may and may not get past it."""

from rag.answer.guard import check_answer, support_score
from rag.index.store import Chunk


def chunk(doc_id: str, text: str, start: int = 0) -> Chunk:
    return Chunk(id=f"{doc_id}:0:0", doc_id=doc_id, text=text, title="t", doc_title="t", date=None, story=0,
                 start=start, end=start + len(text), content_hash="h")


ZHAO = chunk("000", "Asked for his reaction, spokesman Zhao did not deny the charge but played it down. "
                    "He said over 1,000 exchange activities were held.")
MOON = chunk("001", "The two countries plan to build an international research station on the moon.")
PASSAGES = [ZHAO, MOON]


def test_supported_sentence_passes_with_its_verbatim_quote():
    report = check_answer("Zhao did not deny the charge but played it down [1].", PASSAGES)
    assert [k.text for k in report.kept] == ["Zhao did not deny the charge but played it down."]
    quote = report.kept[0].supports[0].quote
    assert quote in ZHAO.text and "did not deny" in quote


def test_planted_unsupported_sentence_is_dropped():
    draft = ("Zhao did not deny the charge [1]. "
             "The 2022 Nobel Prize in Physics was awarded to Andrei Sakharov for this cooperation [1].")
    report = check_answer(draft, PASSAGES)
    assert len(report.kept) == 1
    assert report.removed == [("The 2022 Nobel Prize in Physics was awarded to Andrei Sakharov for this cooperation.",
                               "not supported by the cited passage")]


def test_dangling_marker_never_reaches_the_user():
    report = check_answer("The two countries plan a research station on the moon [7].", PASSAGES)
    assert report.dangling_markers == 1
    # The sentence itself is true, so it is re-cited to the passage that supports it.
    assert report.kept[0].supports[0].passage == 2 and report.kept[0].repaired


def test_wrong_citation_is_repaired_to_the_supporting_passage():
    report = check_answer("The two countries plan to build a research station on the moon [1].", PASSAGES)
    assert report.recited == 1
    assert report.kept[0].supports[0].passage == 2


def test_uncited_sentence_is_dropped():
    report = check_answer("Based on the passages, here is the answer. Zhao played it down [1].", PASSAGES)
    assert [k.text for k in report.kept] == ["Zhao played it down."]
    assert ("Based on the passages, here is the answer.", "no citation") in report.removed


def test_wrong_number_flipped_negation_and_wrong_name_fail():
    assert support_score("Over 2,000 exchange activities were held.", ZHAO.text) == 0.0
    assert support_score("Zhao denied the charge.", ZHAO.text) == 0.0
    assert support_score("Spokesman Geng did not deny the charge.", ZHAO.text) == 0.0
    assert support_score("Over 1,000 exchange activities were held.", ZHAO.text) == 1.0


def test_nothing_supported_means_nothing_kept():
    report = check_answer("China sanctioned Russian scientists [1][2].", PASSAGES)
    assert report.kept == []
