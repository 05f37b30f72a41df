"""The answer stage's hand rules that can be switched off, as data: what each does, why, and what it was set on.

``RAG_RULES_OFF=missing_type,question_noise`` answers without them; ``python -m eval --ablate`` runs every set again
with each rule off (the judge remembers its verdicts, so a rule that changes few answers costs little) and
prints what each rule gains per set, pooled, and on the sets it was not set on (held out). A rule whose gain
held out is nothing is a candidate for removal (issue 24, item 4).

Ablated on 2026-12-06 (the pool, 304 questions) and removed for winning nothing held out: "other_side" and
"enumeration" (expand), "self_description" and "reference_entry" (rank weights): one AlexNet question each at
most; then (session 21) widen's "enumeration_run" (a chunk holding "Strategy 2: ..." run on to the next items):
no answer of the pool changed without it. Kept: "missing_type" (+1 held out), "type_required" (no answer changed
for the worse; it spares the judge a read), "question_noise" (+1 on the bundled corpus, whose new questions are
asked of every release).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    stage: str  # where it acts
    does: str
    why: str  # the reason it was added
    set_on: tuple[str, ...]  # the eval sets whose questions it was made for (its gain there is in-sample)


RULES: dict[str, Rule] = {
    "missing_type": Rule(
        "rank", "a unit that offers no year/place/number a when/where/how-many question wants scores x0.75",
        "the type asked for is evidence of the answer", ("bundled", "squad2_dev_wiki")),
    "type_required": Rule(
        "judge", "a where/how-many unit naming no place or number is rejected before the judge reads it",
        "it cannot be the answer; saves the judge a second", ("bundled", "squad2_dev_wiki")),
    "question_noise": Rule(
        "question", "words about the corpus or the answer's form (\"article\", \"describe\") are not searched "
        "for or checked as names", "\"What did the article say ...\" is about the content", ("bundled",)),
}


@dataclass(frozen=True)
class Rules:
    """The rules in force: every rule but those switched off (RAG_RULES_OFF, checked by Settings)."""

    off: frozenset[str] = frozenset()

    def on(self, name: str) -> bool:
        return name not in self.off


ALL = Rules()
