"""Expand: each chosen unit quoted together with the sentences that go on with it.

A sentence the judge accepted often opens what the question asks about and leaves the rest to the
next sentences of its paragraph ("A key difference between ML and DL is in how features are
extracted. Traditional ML uses handmade features ... DL learns them automatically."). As
LlamaIndex's sentence-window postprocessor does, the unit grows over its paragraph's following
sentences, here only while they stay on the question (their own rank score) and within a budget, so a
short factual answer stays short. The grown unit is still one verbatim span of one chunk.
"""

from __future__ import annotations

import dataclasses

from .evidence import Evidence, QuestionProfile
from .store import Chunk
from .text import paragraph_spans

EXPAND_SENTENCES = 3  # following sentences a unit may take on
EXPAND_CHARS = 900  # ... up to this length of the whole quote (about a short paragraph)
EXPAND_SHARE = 0.6  # a following sentence must score this share of the best unit: still on the question


def expand(chosen: list[Evidence], ranked: list[Evidence], q: QuestionProfile,
           passages: list[Chunk]) -> list[Evidence]:
    """``chosen`` with each unit grown over the following sentences of its paragraph that stay on the
    question; a chosen unit that another one grew over is dropped."""
    if not chosen or q.yes_no or any(strict for strict, _ in q.wanted):
        return chosen  # a yes/no, when, where or how-many answer is one sentence
    in_passage: dict[int, list[Evidence]] = {}
    for u in sorted(ranked, key=lambda u: u.start):
        in_passage.setdefault(u.passage, []).append(u)
    floor = EXPAND_SHARE * max(u.score for u in chosen)
    covered: set[tuple[int, int]] = set()  # (passage, sentence) already quoted
    out = []
    for ev in chosen:
        if (ev.passage, ev.position) in covered:
            continue
        covered.add((ev.passage, ev.position))
        text = passages[ev.passage - 1].text
        paragraph_end = next((e for s, e in paragraph_spans(text) if s <= ev.start < e), ev.end)
        end = ev.end
        # The span runs on verbatim, so a short sentence that is not a unit of its own ("Fig. 3.") goes with it.
        following = [u for u in in_passage[ev.passage] if u.start >= ev.end][:EXPAND_SENTENCES]
        for unit in following:
            if ((ev.passage, unit.position) in covered or unit.end > paragraph_end or unit.score < floor
                    or unit.end - ev.start > EXPAND_CHARS):
                break
            end = unit.end
            covered.add((ev.passage, unit.position))
        out.append(ev if end == ev.end else dataclasses.replace(ev, end=end, text=text[ev.start:end]))
    return out
