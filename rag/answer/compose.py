"""What the composers (rag.answer.composers) are made of: chosen evidence -> draft sentences, each already
tied to the span that supports it.

* ``extractive``: each evidence unit is shown as a sentence of the answer, read as one line of prose
  (``reflow``); its citation is the verbatim span itself.
* ``date_lead``: "When was the article ... published?" is answered from the cited article's metadata.
* ``remote_draft``: a model writes the answer from the numbered passages (``prompts/answer.txt``); every
  sentence then passes the citation guard.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from ..index.store import Chunk
from ..models.llm import Generator
from ..prompts import Prompts
from ..text import display_text, reflow
from .guard import CheckedSentence, GuardReport, Support
from .render import as_sentence
from .units import Evidence

PUBLISHED_WHEN = re.compile(r"\bwhen\b.*\b(published|written|dated|posted|appear)|\bwhat is the date of\b", re.I)
Guard = Callable[[str], GuardReport]  # a draft with markers -> what the citation guard kept


def support_of(ev: Evidence, passages: list[Chunk]) -> Support:
    """The unit's own span as its citation (scored by the judge when it saw the unit)."""
    chunk = passages[ev.passage - 1]
    score = ev.judged if ev.judged is not None else min(ev.score, 1.0)
    return Support(ev.passage, ev.text, chunk.start + ev.start, chunk.start + ev.end, score)


def extractive(evidence: list[Evidence], passages: list[Chunk]) -> Iterator[CheckedSentence]:
    for ev in evidence:
        yield CheckedSentence(as_sentence(display_text(ev.text)), [support_of(ev, passages)])


def date_lead(question: str, evidence: list[Evidence], passages: list[Chunk]) -> CheckedSentence | None:
    """The date of the article the best evidence comes from, for "when was it published" questions."""
    if not PUBLISHED_WHEN.search(question):
        return None
    dated = [ev for ev in evidence if passages[ev.passage - 1].date]
    if not dated:
        return None
    chunk = passages[dated[0].passage - 1]
    title = reflow(chunk.doc_title).rstrip(" .")  # without its own full stop, so the lead stays one sentence
    return CheckedSentence(f"The document “{title}” is dated {chunk.date}.", [support_of(dated[0], passages)])


def numbered_passages(passages: list[Chunk]) -> str:
    return "\n\n".join(f"[{i}] ({reflow(c.title)}{', ' + c.date if c.date else ''}) {reflow(c.text)}"
                       for i, c in enumerate(passages, 1))


def remote_draft(question: str, passages: list[Chunk], generator: Generator, prompts: Prompts,
                 guard: Guard, removed: list) -> Iterator[CheckedSentence]:
    """The model's answer, checked sentence by sentence as soon as the next one has begun."""
    messages = [
        {"role": "system", "content": prompts["answer"]},
        {"role": "user", "content": prompts["question"].format(passages=numbered_passages(passages),
                                                               question=question)},
    ]

    def checked(draft: str) -> Iterator[CheckedSentence]:
        if "NOT FOUND" in draft.upper():
            return
        report = guard(draft)
        removed.extend(report.removed)
        yield from report.kept

    buffer = ""
    for piece in generator.stream(messages, max_tokens=400):
        buffer += piece
        parts = re.split(r"(?<=[.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[A-Z\"“])", buffer)
        if len(parts) >= 4:
            done, buffer = "".join(parts[:-1]), parts[-1]
            yield from checked(done)
    if buffer.strip():
        yield from checked(buffer)

