"""Expand: each chosen unit quoted together with the sentences that go on with it.

A sentence the judge accepted often opens what the question asks about and leaves the rest to the
next sentences of its paragraph ("A key difference between ML and DL is in how features are
extracted. Traditional ML uses handmade features ... DL learns them automatically."), or leans on the
sentence before it ("This approach is known as Xavier initialization."). As LlamaIndex's
sentence-window postprocessor does, the unit grows over its paragraph's neighbours, here only while
they go on with it and within a budget, so a short factual answer stays short:

* a following sentence that stays on the question (its own rank score) is taken;
* so is one that refers back to the unit ("This ...", "In other words ...");
* for an open question (how, why, explain, several questions, a list: ``QuestionProfile.open``), so
  is every following sentence of the paragraph, whatever it scores, as LlamaIndex's sentence window
  takes its neighbours; the budget bounds it;
* a unit that itself refers back takes on the sentence before it;
* for an open question, so do the sentences before it that stay on the question (an overview's best
  sentence is often not its first).

The grown unit is still one verbatim span of one chunk. (Two rules that added quotes for an open question,
an enumeration's other items and the "On the other hand" paragraph past a table, were removed on
2026-12-06: each won one AlexNet question and nothing on the eight other sets, ``python -m eval --ablate``.)
"""

from __future__ import annotations

import dataclasses

from ..index.store import Chunk
from ..text import REFERS_BACK, paragraph_spans, sentence_spans
from .question import QuestionProfile
from .units import Evidence

EXPAND_SENTENCES = 3  # following sentences a unit may take on
EXPAND_CHARS = 900  # ... up to this length of the whole quote (about a short paragraph)
EXPAND_SHARE = 0.6  # a following sentence must score this share of the best unit: still on the question


def expand(chosen: list[Evidence], ranked: list[Evidence], q: QuestionProfile,
           passages: list[Chunk]) -> list[Evidence]:
    """``chosen`` with each unit grown over the neighbours in its paragraph that go on with it; a chosen
    unit that another one grew over is dropped."""
    if not chosen or q.yes_no or any(strict for strict, _ in q.wanted):
        return chosen  # a yes/no, when, where or how-many answer is one sentence
    in_passage: dict[int, list[Evidence]] = {}
    for u in sorted(ranked, key=lambda u: u.start):
        in_passage.setdefault(u.passage, []).append(u)
    floor = EXPAND_SHARE * max(u.score for u in chosen)
    covered: set[tuple[int, int]] = set()  # (passage, sentence) already quoted
    rejected = {(u.passage, u.position) for u in ranked if u.rejected}  # the judge said no: no context before
    out = []
    for ev in chosen:
        if (ev.passage, ev.position) in covered:
            continue
        covered.add((ev.passage, ev.position))
        text = passages[ev.passage - 1].text
        paragraph = next(((s, e) for s, e in paragraph_spans(text) if s <= ev.start < e), (ev.start, ev.end))
        start = ev.start
        # "This concept ..." after "Therefore, it ..." after "DenseNet was developed ...": back to the
        # sentence the chain leans on.
        back = 1
        while (REFERS_BACK.match(text[start:]) and (ev.passage, ev.position - back) not in covered
               and (ev.passage, ev.position - back) not in rejected):
            before = _sentence_before(text, start, ev.end, paragraph)
            if before == start:
                break
            start = before
            covered.add((ev.passage, ev.position - back))
            back += 1
        # An overview or list ("... including Eyeriss, Dadiannao, EIE, TPU and TrueNorth?") is often
        # answered by a run of sentences of which the best-scoring one is not the first: for an open
        # question the unit also grows backwards over the sentences before it that stay on the question.
        if q.open and start == ev.start:
            start = _grown_back(ev, in_passage[ev.passage], floor, covered, text, paragraph)
        end = ev.end
        # The span runs on verbatim, so a short sentence that is not a unit of its own ("Fig. 3.") goes with it.
        following = [u for u in in_passage[ev.passage] if u.start >= ev.end][:EXPAND_SENTENCES]
        for unit in following:
            goes_on = unit.score >= floor or REFERS_BACK.match(unit.text) or q.open
            # A sentence the judge rejected may still go on with the answer: read alone, it lacks the
            # context the kept one gives it (one item of a list, "..., Geng Shuang said" after the news).
            if ((ev.passage, unit.position) in covered or unit.end > paragraph[1] or not goes_on
                    or unit.end - start > EXPAND_CHARS):
                break
            end = unit.end
            covered.add((ev.passage, unit.position))
        grown = (ev if (start, end) == (ev.start, ev.end)
                 else dataclasses.replace(ev, start=start, end=end, text=text[start:end]))
        out.append(grown)
    return out


def _grown_back(ev: Evidence, units: list[Evidence], floor: float, covered: set[tuple[int, int]], text: str,
                paragraph: tuple[int, int]) -> int:
    """Where ``ev``'s quote starts once it takes on the run of sentences just before it in its paragraph
    that score at least ``floor`` (none the judge rejected, none already quoted, within the budget)."""
    by_position = {u.position: u for u in units}
    start = ev.start
    for back in range(1, EXPAND_SENTENCES + 1):
        unit = by_position.get(ev.position - back)
        if (unit is None or unit.rejected or unit.score < floor or (ev.passage, unit.position) in covered
                or unit.start < paragraph[0] or ev.end - unit.start > EXPAND_CHARS or unit.end > start
                or text[unit.end:start].strip()):  # a skipped heading or fragment between: not one run
            break
        start = unit.start
        covered.add((ev.passage, unit.position))
    return start


def _sentence_before(text: str, start: int, end: int, paragraph: tuple[int, int]) -> int:
    """Where the sentence before ``start`` starts, if it is in the same paragraph and the quote ending at
    ``end`` stays in budget (else ``start``)."""
    before = [s for s, e in sentence_spans(text) if e <= start and s >= paragraph[0]]
    # A chunk may open inside a sentence ("of Xavier has been ..."): a fragment is not quoted.
    if before and end - before[-1] <= EXPAND_CHARS and not text[before[-1]:][:1].islower():
        return before[-1]
    return start
