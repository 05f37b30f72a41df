"""The render stage: markers in order of first use, and claims from one source attributed to it."""

import time

from rag.answer.guard import CheckedSentence, Support
from rag.answer.render import ATTRIBUTION, Answer, render
from rag.index.store import Chunk


def chunk(doc_id: str, title: str, date: str | None) -> Chunk:
    return Chunk(id=f"{doc_id}:0:0", doc_id=doc_id, text="...", title=title, doc_title=title, date=date,
                 story=0, start=0, end=3, content_hash="h")


PASSAGES = [chunk("normans", "Normans", None), chunk("a1", "A leading Russian scientist has made a rare criticism "
                                                     "of China, saying that cooperation has stalled", "2022-04-16"),
            chunk("b2", "Beijing: China on Friday downplayed the report that its scientists have withheld it", None),
            chunk("normans", "Normans", None)]


def sentence(text: str, *passages: int) -> CheckedSentence:
    return CheckedSentence(text, [Support(p, text, 10 * p, 10 * p + 5, 1.0) for p in passages])


def answer_text(*kept: CheckedSentence) -> str:
    return render(Answer("", [], False), list(kept), PASSAGES, time.perf_counter(), final=True, attribute=True).text


def test_a_claim_from_one_source_is_attributed_to_it_once():
    text = answer_text(sentence("The Normans came from Normandy.", 1), sentence("They spoke French.", 4),
                       sentence("Sergeev criticised China.", 2), sentence("Zhao played it down.", 3))
    assert text == ("According to “Normans”: The Normans came from Normandy [1]. They spoke French [2]. "
                    "According to a document dated 2022-04-16: Sergeev criticised China [3]. "
                    "According to one source: Zhao played it down [4].")


def test_a_claim_two_documents_make_and_a_verdict_lead_are_not_attributed():
    text = answer_text(sentence("No — Zhao did not deny it.", 3), sentence("Both reported the freeze.", 2, 3))
    assert text == "No — Zhao did not deny it [1]. Both reported the freeze [2][1]."


def test_the_lead_in_is_recognisable_for_readers_of_the_text():
    assert ATTRIBUTION.sub("", "X [1]. According to “The Normans”: They came.") == "X [1]. They came."
    assert ATTRIBUTION.sub("", "According to a document dated 2022-04-16: X.") == "X."
