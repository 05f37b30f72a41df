"""Candidate answer units: every sentence of the retrieved chunks that could be evidence, as a
verbatim span of its chunk. A sentence ending in ":" carries the list it introduces (up to where
prose resumes); a heading over a bulleted list carries the list; chunk-edge fragments, questions,
headings and text addressing the model are skipped. ``rag.answer.evidence`` scores and chooses among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..text import is_heading, normalize, sentence_spans, words
from .lists import BULLET, is_prose, marks_item, reading_end
from .retrieval import ScoredChunk

if TYPE_CHECKING:
    from ..index.store import Chunk

LIST_BUDGET = 1200  # characters of reading of a list kept with the sentence that introduces it (":")


@dataclass
class Evidence:
    """A candidate answer unit: a verbatim span of one retrieved chunk, with its scores."""

    passage: int  # 1-based index into the retrieved chunks
    start: int  # span in the chunk's text
    end: int
    text: str  # chunk.text[start:end], verbatim
    window: str  # the span with up to three sentences before it (a speaker named earlier)
    position: int  # sentence number within its chunk
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    judged: float | None = None  # the judge's P(yes), when a judge saw it
    judge_tokens: int = 0  # the prompt tokens that verdict cost
    rejected: bool = False  # the judge (or a type check) said it does not answer: it never opens a quote

    @property
    def coverage(self) -> float:
        return max(self.features.get("coverage", 0.0), self.features.get("window_coverage", 0.0))

    @property
    def similarity(self) -> float:
        return self.features.get("similarity", 0.0)

    @property
    def corrects(self) -> bool:
        return self.features.get("premise_correction", 0.0) > 0


def candidate_units(hits: list[ScoredChunk], injected: Callable[[Chunk], list[tuple[int, int]]] = lambda c: []
                    ) -> list[Evidence]:
    """Every sentence of the retrieved chunks that could be evidence, once each, in retrieval order; none from
    a span ``injected`` keeps out (text addressing the model is data: ``rag.answer.injection.injected_spans``)."""
    units: list[Evidence] = []
    seen: set[str] = set()
    for passage, hit in enumerate(hits, 1):
        text = hit.chunk.text
        spans = sentence_spans(text)
        kept_out = injected(hit.chunk)
        taken = 0  # end of the last list taken whole: its items are not units of their own
        for j, (s, e) in enumerate(spans):
            if s < taken or any(a < e and s < b for a, b in kept_out):
                continue
            sentence = text[s:e]
            key = normalize(sentence)
            # A heading labels what follows and asserts nothing, unless what follows is its list of items
            # ("C. Language modeling / ▪ free eBooks: ... / ▪ Brown corpus ..."): then the list is its content.
            heading = is_heading(text, s, e)
            if heading and _heads_list(text, spans, j):
                e = taken = _list_end(text, spans, j, section=True)
                sentence, key = text[s:e], normalize(text[s:e])
            elif heading:
                continue
            # A question in an article (a headline asking "...?") asserts nothing.
            if key in seen or len(words(sentence)) < 3 or sentence.rstrip().endswith("?"):
                continue
            # A chunk may begin or end inside a sentence; its neighbour chunk holds the whole one.
            if (j == 0 and s == 0 and hit.chunk.start > 0 and sentence[:1].islower()) or (
                    j == len(spans) - 1 and e == len(text.rstrip()) and not re.search(r"[.!?:\"”')\]]$", sentence)):
                continue
            seen.add(key)
            if sentence.endswith(":"):  # the list it introduces is its content
                e = taken = _list_end(text, spans, j)
            window = text[spans[max(j - 3, 0)][0]: spans[min(j + 1, len(spans) - 1)][1]]
            units.append(Evidence(passage, s, e, text[s:e], window, j))
    return units


def _heads_list(text: str, spans: list[tuple[int, int]], j: int) -> bool:
    """Whether the heading ``spans[j]`` is followed, on the next line, by a bulleted item."""
    if j + 1 >= len(spans):
        return False
    between = text[spans[j][1]:spans[j + 1][0]]
    return between.count("\n") == 1 and not between.strip() and bool(BULLET.match(text[spans[j + 1][0]:]))


def _list_end(text: str, spans: list[tuple[int, int]], j: int, section: bool = False) -> int:
    """Where the list that ``spans[j]`` introduces ends: after ``LIST_BUDGET`` characters of reading (a
    web address counts as a word), and for a heading's list (``section``) also at a blank line or the
    next heading that is not an item. Any list also ends where prose resumes: on a line of its own below
    items that all carried a mark ("• A standard way ... / Further, the databases ..."), or (a heading
    too) after a blank line below items that were not prose ("Use it like this: / $ rustdoc --edition
    2018 / This flag ...")."""
    end, limit = spans[j][1], reading_end(text, spans[j][0], LIST_BUDGET)
    items_are_prose = items_are_marked = True
    for s, e in spans[j + 1:]:
        heading = is_heading(text, s, e) and not BULLET.match(text[s:])
        between = text[end:s]
        if e > limit or section and ("\n\n" in between.replace(" ", "") or heading):
            break
        prose = is_prose(text[s:e])
        if end > spans[j][1] and not marks_item(text, s) and (
                items_are_marked and prose and "\n" in between  # (a line alone may be an item's wrapped end)
                or not items_are_prose and (prose or heading) and "\n\n" in between.replace(" ", "")):
            break
        # A heading inside the list goes with the items under it, never last; the line right after the
        # introduction is the first item, whatever it looks like ("$ rustdoc --test src/lib.rs").
        if not heading or end == spans[j][1]:
            end = e
            items_are_prose = items_are_prose and is_prose(text[s:e])
            items_are_marked = items_are_marked and marks_item(text, s)
    return end
