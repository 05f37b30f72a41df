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

Two more quotes may follow a grown unit, for an open question: the other items of an enumeration it
holds part of ("Strategy 1: ..." -> "Strategy 2: ...", "Strategy 3: ..."), and the other side of a
comparison, a paragraph right after its own that opens "On the other hand, ..." (past a table or a
figure, and perhaps in the next retrieved passage).

The grown unit is still one verbatim span of one chunk; each added quote is a unit of its own.
"""

from __future__ import annotations

import dataclasses
import re

from ..index.store import Chunk
from ..text import REFERS_BACK, paragraph_spans, sentence_spans
from .lists import enumerated_items, enumeration_run, is_prose
from .question import QuestionProfile
from .rules import ALL, Rules
from .units import Evidence
from .widen import MAX_GAP

EXPAND_SENTENCES = 3  # following sentences a unit may take on
EXPAND_CHARS = 900  # ... up to this length of the whole quote (about a short paragraph)
EXPAND_SHARE = 0.6  # a following sentence must score this share of the best unit: still on the question
# A paragraph opening so states the other side of the one before it ("However" often turns to a new point).
CONTRAST_OPENING = re.compile(r"^[\"“]?(on the other hand|in contrast|by contrast|conversely)\b", re.I)
OTHER_SIDE_GAP = 1500  # ... looked for this many characters past the paragraph (a table or a figure between)


def expand(chosen: list[Evidence], ranked: list[Evidence], q: QuestionProfile,
           passages: list[Chunk], rules: Rules = ALL) -> list[Evidence]:
    """``chosen`` with each unit grown over the neighbours in its paragraph that go on with it; a chosen
    unit that another one grew over is dropped (``rules``: the "enumeration" and "other_side" rules)."""
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
        before, after = (_enumeration(grown, in_passage[ev.passage], covered) if q.open and rules.on("enumeration")
                         else ([], []))
        other_side = _other_side(grown, passages, in_passage, covered) if q.open and rules.on("other_side") else []
        out += before + [grown] + after + other_side
    return out


def _other_side(ev: Evidence, passages: list[Chunk], in_passage: dict[int, list[Evidence]],
                covered: set[tuple[int, int]]) -> list[Evidence]:
    """The sentence after the unit's paragraph that opens "On the other hand, ..." when nothing but a
    table or a figure (no sentence of prose) lies between: the other half of what the paragraph
    compares ("Traditional ML uses handmade features ... / TABLE I ... / On the other hand, in the case
    of DL, the features are learned automatically"). It may lie in another retrieved passage."""
    chunk = passages[ev.passage - 1]
    paragraph_end = next((e for s, e in paragraph_spans(chunk.text) if s < ev.end <= e), None)
    if paragraph_end is None:
        return []
    doc_end = chunk.start + paragraph_end
    for number, units in in_passage.items():
        other = passages[number - 1]
        # Only a passage holding the text right after the paragraph shows what lies between (the splitter
        # strips the line breaks where it cuts: the next chunk may start a few characters on).
        if (other.doc_id, other.story) != (chunk.doc_id, chunk.story) or not other.start <= doc_end + MAX_GAP < other.end:
            continue
        gap = max(doc_end - other.start, 0)
        for unit in units:
            if unit.start < gap or (unit.passage, unit.position) in covered:
                continue
            if unit.start - gap > OTHER_SIDE_GAP or _holds_prose(other.text, gap, unit.start):
                break
            if CONTRAST_OPENING.match(unit.text):
                covered.add((unit.passage, unit.position))
                return [unit]
    return []


def _holds_prose(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a sentence of prose (a table's cells and a caption hold none)."""
    return any(is_prose(text[s:e]) for s, e in sentence_spans(text, start, end))


def _enumeration(ev: Evidence, units: list[Evidence], covered: set[tuple[int, int]]
                 ) -> tuple[list[Evidence], list[Evidence]]:
    """The other items of an enumeration the unit quotes part of ("Strategy 1: ..." -> the sentences
    holding "Strategy 2: ..." and "Strategy 3: ..."), before and after it in its passage: each is quoted
    on its own, as one sentence, for the whole enumeration answers "what are the three strategies?"."""
    items = enumerated_items(ev.text)
    if not items:
        return [], []
    by_start = {u.start: u for u in units if (u.passage, u.position) not in covered}
    openings = {}
    for unit in by_start.values():
        for label, number, _ in enumerated_items(unit.text):
            openings.setdefault((label, number), unit.start)
    (first_label, first, first_at), (last_label, last, last_at) = items[0], items[-1]
    before = [by_start[s] for s in enumeration_run(openings, first_label, first, ev.start + first_at, -1)]
    after = [by_start[s] for s in enumeration_run(openings, last_label, last, ev.start + last_at)]
    covered.update((u.passage, u.position) for u in before + after)
    return before[::-1], after


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
