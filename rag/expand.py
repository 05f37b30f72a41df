"""Expand: each chosen unit quoted together with the sentences that go on with it.

A sentence the judge accepted often opens what the question asks about and leaves the rest to the
next sentences of its paragraph ("A key difference between ML and DL is in how features are
extracted. Traditional ML uses handmade features ... DL learns them automatically."), or leans on the
sentence before it ("This approach is known as Xavier initialization."). As LlamaIndex's
sentence-window postprocessor does, the unit grows over its paragraph's neighbours, here only while
they go on with it and within a budget, so a short factual answer stays short:

* a following sentence that stays on the question (its own rank score) is taken;
* so is one that refers back to the unit ("This ...", "In other words ...");
* for a question that asks how, why or to explain, so is the first following sentence, whatever it
  says (LlamaIndex's window takes its neighbours unconditionally; one is the measured compromise);
* a unit that itself refers back takes on the sentence before it.

The grown unit is still one verbatim span of one chunk.
"""

from __future__ import annotations

import dataclasses
import re

from .evidence import Evidence
from .question import QuestionProfile
from .store import Chunk
from .text import paragraph_spans, sentence_spans

EXPAND_SENTENCES = 3  # following sentences a unit may take on
EXPAND_CHARS = 900  # ... up to this length of the whole quote (about a short paragraph)
EXPAND_SHARE = 0.6  # a following sentence must score this share of the best unit: still on the question
# A sentence opening so leans on the one before it: a pronoun or a discourse connective.
REFERS_BACK = re.compile(r"^[\"“(]?(this|that|these|those|it|its|they|their|such|here|thus|hence|therefore|"
                         r"consequently|in other words|what (this|that) means|as a result|in (this|that|such) case|"
                         r"for (example|instance)|that is|i\.e\.)\b", re.I)


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
    out = []
    for ev in chosen:
        if (ev.passage, ev.position) in covered:
            continue
        covered.add((ev.passage, ev.position))
        text = passages[ev.passage - 1].text
        paragraph = next(((s, e) for s, e in paragraph_spans(text) if s <= ev.start < e), (ev.start, ev.end))
        start = ev.start
        if REFERS_BACK.match(ev.text) and (ev.passage, ev.position - 1) not in covered:
            start = _sentence_before(text, ev, paragraph)
            if start < ev.start:
                covered.add((ev.passage, ev.position - 1))
        end = ev.end
        # The span runs on verbatim, so a short sentence that is not a unit of its own ("Fig. 3.") goes with it.
        following = [u for u in in_passage[ev.passage] if u.start >= ev.end][:EXPAND_SENTENCES]
        for n, unit in enumerate(following):
            goes_on = unit.score >= floor or REFERS_BACK.match(unit.text) or (n == 0 and q.explains)
            if ((ev.passage, unit.position) in covered or unit.end > paragraph[1] or not goes_on
                    or unit.end - start > EXPAND_CHARS):
                break
            end = unit.end
            covered.add((ev.passage, unit.position))
        out.append(ev if (start, end) == (ev.start, ev.end)
                   else dataclasses.replace(ev, start=start, end=end, text=text[start:end]))
    return out


def _sentence_before(text: str, ev: Evidence, paragraph: tuple[int, int]) -> int:
    """Where the sentence before ``ev`` starts, if it is in the same paragraph and the budget allows."""
    before = [s for s, e in sentence_spans(text) if e <= ev.start and s >= paragraph[0]]
    # A chunk may open inside a sentence ("of Xavier has been ..."): a fragment is not quoted.
    if before and ev.end - before[-1] <= EXPAND_CHARS and not text[before[-1]:][:1].islower():
        return before[-1]
    return ev.start
