"""Compare: "Do the sources agree on X?", "How do the reports of X differ?" answered side by side.

Retrieval and ranking run on the topic (the question without its frame words); each document then
gives its best unit on the topic, one quote per source, attributed and cited, so differing accounts
stand next to each other ("suspended" in one, "slowed down" in the other). When the question asks
yes or no and the judge is on, the judge reads each pair of quotes both ways: a pair where one entails
the other opens the answer with "Yes —", no entailment either way with "No —"; the words after the
particle are the first quote, verbatim, as in ``rag.answer.lead``.
"""

from __future__ import annotations

import itertools
import re

from ..index.store import Chunk
from ..text import display_text, reflow
from .compose import support_of
from .guard import CheckedSentence
from .question import YES_NO
from .units import Evidence

# Plural only: agreement needs several sources ("the different types ... in the document" is no comparison).
_SOURCES = r"(sources|articles|reports|accounts|documents|papers|stories|versions)"
_RELATION = r"(agree\w*|disagree\w*|differ\w*|conflict\w*|contradict\w*|consistent|the same)"
ASKS_COMPARISON = re.compile(rf"\b{_SOURCES}\b[^?]*\b{_RELATION}\b|\b{_RELATION}\b[^?]*\b{_SOURCES}\b", re.I)
# The frame of such a question: taken out, what is left is the topic to retrieve and rank on.
_FRAME = re.compile(rf"\b({_SOURCES[1:-1]}|{_RELATION[1:-1]}|do|does|did|are|is|how|where|what|in what way|"
                    r"with each other|each other|one another|all|the|about|on|over|whether|that)\b", re.I)
MAX_SIDES = 3  # documents quoted side by side
SIDE_SHARE = 0.6  # a document's best unit must score this share of the best one's to be a side
SIDE_COVERAGE = 0.5  # ... and hold this share of the topic's rarity-weighted words (else: not on topic)
AGREE_AT = 0.7  # P(entailed) one way or the other at least this: the quotes agree ("Yes")
DIFFER_AT = 0.3  # P(entailed) both ways at most this, for some pair: they differ ("No")


def comparison_topic(question: str) -> str | None:
    """The topic of a question about whether (or how) the sources agree, or None for any other question."""
    if not ASKS_COMPARISON.search(question):
        return None
    topic = re.sub(r"\s+", " ", _FRAME.sub(" ", question)).strip(" ?,.")
    return topic or None


def sides(ranked: list[Evidence], passages: list[Chunk]) -> list[Evidence]:
    """The best unit on the topic of each document, best first, for up to ``MAX_SIDES`` documents."""
    on_topic = [u for u in ranked if u.coverage >= SIDE_COVERAGE]
    if not on_topic:
        return []
    floor = SIDE_SHARE * on_topic[0].score
    best: dict[str, Evidence] = {}
    for u in on_topic:
        doc = passages[u.passage - 1].doc_id
        if u.score >= floor and doc not in best:
            best[doc] = u
    return list(best.values())[:MAX_SIDES]


def verdict(judge, sides: list[Evidence]) -> str | None:
    """"Yes" when every pair of quotes agrees (one entails the other), "No" when some pair does not
    either way, None when the judge is unsure."""
    scores = []
    for a, b in itertools.combinations(sides, 2):
        one_way = judge.entails(reflow(a.text), [reflow(b.text)])[0]
        other_way = judge.entails(reflow(b.text), [reflow(a.text)])[0]
        scores.append(max(one_way, other_way))
    if scores and min(scores) >= AGREE_AT:
        return "Yes"
    if scores and min(scores) <= DIFFER_AT:
        return "No"
    return None


def compare(question: str, sides: list[Evidence], passages: list[Chunk], judge=None,
            removed: list | None = None) -> list[CheckedSentence]:
    """One cited quote per side; a yes/no question opens with the judge's verdict when it is sure."""
    sentences = [CheckedSentence(display_text(u.text), [support_of(u, passages)]) for u in sides]
    if judge is None or len(sides) < 2 or not YES_NO.match(question):
        return sentences
    particle = verdict(judge, sides)
    if particle is None:
        if removed is not None:
            removed.append(("(lead)", "no verdict: the judge is unsure whether the sources' quotes agree"))
        return sentences
    sentences[0] = CheckedSentence(f"{particle} — {sentences[0].text}", sentences[0].supports)
    return sentences
