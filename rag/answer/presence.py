"""Presence: which of the best-ranked units the judge says state the answer.

The judge (rag.models.judge) reads each of the ``JUDGE_CANDIDATES`` best units with the question and gives
P(answered). By default the learned selection (rag.answer.selection) decides which are kept, reading those
verdicts with the rank features; with RAG_SELECTION=bars a unit is kept when P clears a bar, which
depends on what else speaks for the unit (its context holds every question word, it offers the
year/place/number asked for, the question asks for an explanation). A unit that cannot be an answer (a "how many" sentence with no number) is not kept
whatever the judge says. Every unit not kept is listed, with the reason, in the answer's ``removed``.
"""

from __future__ import annotations

from typing import Generator

from ..index.store import Chunk
from ..models.judge import Judge
from ..settings import Settings
from ..text import paragraph_spans, reflow, sentence_spans
from .lists import shorten_addresses
from .question import QuestionProfile
from .rules import ALL, Rules
from .selection import Selector, selection_features
from .units import Evidence

JUDGE_CANDIDATES = Settings.judge_candidates  # units the judge reads per question by default (its figures there)
WEAK_ACCEPT = 0.1  # P(answered) that suffices when the unit with its context holds every question word ...
FULL_COVERAGE = 0.95  # ... i.e. this share of the question's rarity-weighted words
# P(answered) that suffices for a how/why/explain question: the judge is asked for an answer "in a few
# words", which an explanation has not, so it says "unknown" to more of them. Measured: the best 3
# units held a key fact for 16/22 such AlexNet questions at 0.15, 13/22 at 0.25; on eight unanswerable
# how/why questions about the bundled corpus no unit scored above 0.11.
EXPLANATION_THRESHOLD = 0.15
# ... and for a unit that offers the type a when/where/how-many question asks for (a year, a place, a
# number): the type is evidence the judge's verdict need not carry alone. Measured on SQuAD-2: +2 of 12
# such answerable questions at 0.15, no unanswerable one answered.
TYPED_THRESHOLD = 0.15
JUDGE_READS_ON, JUDGE_READS_CHARS = 2, 600  # an open question's unit is judged with the next sentences of its run
# ... and no candidate past this many characters: the judge reads ~100 tokens a second on one core, and
# whether a list answers shows in its opening and first items
JUDGE_READS_AT_MOST = 700


def judging(judge: Judge, q: QuestionProfile, units: list[Evidence], passages: list[Chunk], threshold: float,
            removed: list[tuple[str, str]], selector: Selector | None = None, rules: Rules = ALL,
            candidates: int = JUDGE_CANDIDATES) -> Generator[tuple[int, int], None, list[Evidence]]:
    """The best-ranked units that state the answer (``removed`` gets the others), judged a candidate at a
    time: yields (judged so far, to judge) after each, so a caller that streams can stop there (its client
    left) instead of after the whole stage; returns the kept units. Which are kept: the learned
    ``selector`` decides from the judge's verdicts and the rank features together (``rag.answer.selection``), or,
    without one, the judge's hand-set bars (``kept_units``)."""
    top = judge_candidates(q, units, removed, rules, slice(0, candidates))
    for done, unit in enumerate(top, 1):
        verdicts = judge.answers(q.text, [judge_text(unit, passages, q.open)])
        unit.judged, unit.judge_tokens = verdicts[0], getattr(verdicts, "tokens", 0)
        yield done, len(top)
    if selector is None:
        return kept_units(q, top, threshold, removed)
    return selected_units(q, units, top, selector, removed)


def selected_units(q: QuestionProfile, units: list[Evidence], top: list[Evidence], selector: Selector,
                   removed: list[tuple[str, str]]) -> list[Evidence]:
    """The judged units the learned selector keeps; ``removed`` gets the others, with its probability."""
    surest = max((u.judged for u in top), default=None)
    rank = {id(u): i for i, u in enumerate(units)}  # the position among the ranked units, as collected
    probabilities = [selector.probability(selection_features(u, rank[id(u)], units[0], q, u.judged, surest))
                     for u in top]
    kept = []
    for unit, keep, p in zip(top, selector.kept(probabilities), probabilities):
        if keep:
            kept.append(unit)
        else:
            unit.rejected = True
            removed.append((reflow(unit.text), f"selection: P(states the answer)={p:.2f}, judge "
                                               f"P(answered)={unit.judged:.2f}"))
    return kept


def kept_units(q: QuestionProfile, top: list[Evidence], threshold: float,
               removed: list[tuple[str, str]]) -> list[Evidence]:
    """The judged units that clear their bar; ``removed`` gets the others, with their P(answered)."""
    strict = any(strict for strict, _ in q.wanted)
    if q.explains:
        threshold = min(threshold, EXPLANATION_THRESHOLD)
    kept = []
    for unit in top:
        p = unit.judged
        typed = strict and bool(unit.features.get("answer_type"))
        # Every question word in the unit or the sentences before it ("the two countries" after a
        # sentence naming both) is evidence the judge reading the unit alone cannot see: then a weaker
        # verdict is enough.
        in_context = unit.features.get("window_coverage", 0.0) >= FULL_COVERAGE
        if accepted(p, threshold, typed, in_context):
            kept.append(unit)
        else:
            unit.rejected = True
            removed.append((reflow(unit.text), f"judge: does not state the answer (P(answered)={p:.2f})"))
    return kept


def accepted(p: float, threshold: float, typed: bool, in_context: bool) -> bool:
    """Whether P(answered) clears the unit's bar: ``threshold``, lower for a unit that offers the type a
    when/where/how-many question asks for, lower still when every question word is in its context."""
    bar = min(threshold, TYPED_THRESHOLD) if typed else threshold
    return p >= (min(WEAK_ACCEPT, bar) if in_context else bar)


def judge_scores(judge: Judge, q: QuestionProfile, units: list[Evidence], passages: list[Chunk],
                 removed: list[tuple[str, str]], context: bool = False, rules: Rules = ALL,
                 ranks: slice = slice(0, JUDGE_CANDIDATES)) -> list[Evidence]:
    """The judge's P(answered) on each of the ``JUDGE_CANDIDATES`` best units (set as ``unit.judged``), and
    those units, but for one that cannot be an answer (a "how many" sentence with no number): that one is
    rejected before the judge spends a second on it, and ``removed`` says why."""
    top = judge_candidates(q, units, removed, rules, ranks)
    scores = judge.answers(q.text, [judge_text(u, passages, q.open, context) for u in top]) if top else []
    for unit, p in zip(top, scores):
        unit.judged = p
    return top


def judge_candidates(q: QuestionProfile, units: list[Evidence], removed: list[tuple[str, str]],
                     rules: Rules = ALL, ranks: slice = slice(0, JUDGE_CANDIDATES)) -> list[Evidence]:
    """The ``JUDGE_CANDIDATES`` best units (or those at ``ranks``) the judge reads: all but one that cannot be
    an answer (the "type_required" rule)."""
    top = []
    for unit in units[ranks]:
        if rules.on("type_required") and q.required and not unit.features.get("answer_type"):
            unit.rejected = True
            removed.append((reflow(unit.text), "no answer: it states no place or number the question asks for"))
        else:
            top.append(unit)
    return top


def judge_text(unit: Evidence, passages: list[Chunk], open_question: bool = False, context: bool = False) -> str:
    """What the judge reads: the unit as prose, under its story's title for context; web addresses cut to
    their hosts (a list of datasets with their URLs is otherwise mostly URL tokens, read at ~1 s per 100).
    For an open question, the unit goes on with the rest of its sentence run, as the answer would quote
    it: "There is no clear winner. However, the GRU requires fewer parameters ..." """
    text = passages[unit.passage - 1].text
    end = unit.end
    if open_question:
        paragraph_end = next((e for s, e in paragraph_spans(text) if s <= unit.start < e), unit.end)
        following = [e for s, e in sentence_spans(text) if s >= unit.end and e <= paragraph_end]
        end = max([e for e in following[:JUDGE_READS_ON] if e - unit.start <= JUDGE_READS_CHARS], default=unit.end)
    body = shorten_addresses(reflow(text[unit.start:end]))
    if len(body) > JUDGE_READS_AT_MOST:  # a long list is judged on its opening and first items
        body = body[:JUDGE_READS_AT_MOST].rsplit(" ", 1)[0] + " …"
    if context:  # the sentence before the unit in its paragraph: who "he" is, what "the move" was
        before = [(s, e) for s, e in sentence_spans(text) if e <= unit.start]
        if before and "\n\n" not in text[before[-1][0]:unit.start]:
            body = f"{reflow(text[before[-1][0]:before[-1][1]])} {body}"
    return f"({reflow(passages[unit.passage - 1].title)}) {body}"
