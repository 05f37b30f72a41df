"""The answer stage's hand rules that can be switched off, as data: what each does, why, and what it was set on.

``RAG_RULES_OFF=other_side,enumeration`` answers without them; ``python -m eval --ablate`` runs every set again
with each rule off (the judge remembers its verdicts, so a rule that changes few answers costs little) and
prints what each rule gains per set, pooled, and on the sets it was not set on (held out). A rule whose gain
held out is nothing is a candidate for removal (issue 24, item 4).
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
    "other_side": Rule(
        "expand", "an open question's unit goes on with the sentence after a table that opens \"On the other hand\"",
        "the other half of a comparison split by a table", ("llamaindex_history_of_alexnet",)),
    "enumeration": Rule(
        "expand", "an open question's unit quoting \"Strategy 2: ...\" takes the enumeration's other items",
        "\"what are the three strategies?\" answered whole", ("llamaindex_history_of_alexnet",)),
    "self_description": Rule(
        "rank", "a sentence describing the document itself (\"we have included X\") ranks lower (weight -0.3)",
        "a table of contents is not the content", ("llamaindex_history_of_alexnet",)),
    "reference_entry": Rule(
        "rank", "an entry of a reference list ranks lower (weight -0.2)",
        "a bibliography names works and asserts nothing", ("llamaindex_history_of_alexnet",)),
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

    def weights(self, weights: dict[str, float]) -> dict[str, float]:
        """Rank weights with those of the rules switched off at 0."""
        return {name: 0.0 if name in RULES and not self.on(name) else w for name, w in weights.items()}


ALL = Rules()
