"""Evidence: the candidate units that may answer the question, scored and chosen.

Three steps, each with one job:

* ``profile_question`` (rag.answer.question): what the question asks (rare words, answer type, whose words, premises);
* ``candidate_units`` (rag.answer.units): every sentence of the retrieved chunks as a verbatim span;
* ``rank``: each unit scored as the weighted sum of ``FEATURES`` (``WEIGHTS`` says why); ``choose`` keeps the best few.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..text import content_stems, stem_in
from .guard import negation_scope
from .question import QuestionProfile
from .rules import ALL, Rules
from .speech import continues_speech, speaks
from .units import Evidence

# --- features: each maps (unit, question, context) to a number, mostly 0..1 ---------------------

@dataclass
class RankContext:
    """What features may look at besides the unit: the question's vector, unit vectors, hit count."""

    question_vector: np.ndarray
    vectors: dict[str, np.ndarray]
    hits: int


def coverage(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    return q.coverage(ev.text)


def window_coverage(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    return q.coverage(ev.window)


def similarity(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    return float(ctx.vectors[ev.text] @ ctx.question_vector)


def retrieval_rank(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    return (ctx.hits - ev.passage) / max(ctx.hits, 1)


def answer_type(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    return float(any(p.search(ev.text) for _, p in q.wanted))


def speaker(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    if not q.speakers:
        return 0.0
    if speaks(q.speakers, ev.text, ev.window):
        return 1.0
    return 0.5 if continues_speech(q.speakers, ev.text, ev.window) else 0.0


def premise_correction(ev: Evidence, q: QuestionProfile, ctx: RankContext) -> float:
    """A sentence that negates what the question takes for granted ("did not deny")."""
    return float(bool(q.premise) and any(stem_in(s, q.premise) for s in negation_scope(ev.text)))


FEATURES: dict[str, Callable[[Evidence, QuestionProfile, RankContext], float]] = {
    "coverage": coverage, "window_coverage": window_coverage, "similarity": similarity,
    "retrieval_rank": retrieval_rank, "answer_type": answer_type, "speaker": speaker,
    "premise_correction": premise_correction,
}
WEIGHTS = {
    "coverage": 0.40,  # the question's rare words in the sentence: the strongest single signal
    "window_coverage": 0.15,  # ... or in its neighbours ("..., he said" in the next sentence)
    "similarity": 0.45,  # meaning without shared words (MiniLM cosine): paraphrased questions
    "retrieval_rank": 0.05,  # a tie-breaker: the fused retrieval order already weighed the chunk
    "answer_type": 0.08,  # offers what a when/where/how-many/who question wants
    "speaker": 0.12,  # the person asked about is the one speaking (0.5 when the quote goes on)
    "premise_correction": 0.08,  # corrects the question's premise: the reader needs to hear it
}
MISSING_STRICT_TYPE = 0.75  # score factor when a "where" sentence names no place, and the like
# (Two negative weights for a reference-list entry and for a sentence describing the document itself were
# removed on 2026-12-06: they won one AlexNet question between them and nothing elsewhere, eval --ablate.)


def rank(units: list[Evidence], q: QuestionProfile, ctx: RankContext, rules: Rules = ALL) -> list[Evidence]:
    """The units scored by the weighted features, best first (``rules``: "missing_type")."""
    for ev in units:
        ev.features = {name: feature(ev, q, ctx) for name, feature in FEATURES.items()}
        ev.score = sum(WEIGHTS[name] * value for name, value in ev.features.items())
        if rules.on("missing_type") and any(strict for strict, _ in q.wanted) and not ev.features["answer_type"]:
            ev.score *= MISSING_STRICT_TYPE
    return sorted(units, key=lambda e: -e.score)


# --- choosing the few that answer ----------------------------------------------------------------

MAX_EVIDENCE = 3
KEEP_ALIKE = 0.85  # a unit scoring this share of the best is kept whatever it adds
KEEP_ADDING = 0.6  # ... this share, if it adds question words (or corrects the premise)
ADDS_WEIGHT = 0.2  # ... "adds": this share of the question's rarity-weighted words not yet covered
KEEP_CONTINUATION = 0.5  # a unit below this share of the best is never kept
JUDGED_PART = 0.7  # ... or, for an open question, P(answered) this share of the best's (measured: 0.31 vs 0.68 was off-topic)
NEAR_DUPLICATE = 0.45  # content-word Jaccard above which two units say the same


def choose(units: list[Evidence], q: QuestionProfile) -> list[Evidence]:
    """Up to ``MAX_EVIDENCE`` of the ranked units: the best, and those that add to it."""
    if not units:
        return []
    best = units[0]
    chosen = [best]
    covered = {s for s in q.stems if stem_in(s, set(content_stems(best.text)))}
    total = sum(q.idf(s) for s in q.stems) or 1.0
    for ev in units[1:]:
        if len(chosen) >= MAX_EVIDENCE:
            break
        if ev.score < KEEP_CONTINUATION * best.score:
            continue
        stems = set(content_stems(ev.text))
        if any(_jaccard(stems, set(content_stems(c.text))) > NEAR_DUPLICATE for c in chosen):
            continue
        adds = {s for s in q.stems if stem_in(s, stems)} - covered
        adds_weight = sum(q.idf(s) for s in adds) / total
        # What the best unit's speaker goes on to say ("..., he said") belongs to the answer.
        continues = ev.coverage >= 0.8 and any(
            c.passage == ev.passage and 0 < ev.position - c.position <= 3 for c in chosen)
        # An open question (a list, several questions) has several parts: a unit the judge accepted about as
        # surely as the best is one ("C. Language modeling ▪ ..." beside "E. Machine translation ▪ ...").
        part = q.open and ev.judged is not None and best.judged is not None and ev.judged >= JUDGED_PART * best.judged
        if (ev.score >= KEEP_ALIKE * best.score or continues or part
                or ((adds_weight >= ADDS_WEIGHT or ev.corrects) and ev.score >= KEEP_ADDING * best.score)):
            chosen.append(ev)
            covered |= adds
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
