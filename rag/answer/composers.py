"""The composer seam: who writes the answer from the chosen evidence. One is chosen from the settings
(``RAG_COMPOSER``: ``composer_name``); a new way of writing answers is a class with ``compose`` registered
in ``COMPOSERS``.

* ``ExtractiveComposer`` (the local backend's default): a "when was it published" question opens with the
  article's date, a yes/no question with "Yes —" / "No —" when the judge is sure (``rag.answer.lead``), then
  the evidence's own sentences, verbatim (``rag.answer.compose``).
* ``ModelComposer`` (the default of the OpenAI and OpenAI-compatible backends): the backend's model writes
  the answer from the numbered passages; every sentence then passes the citation guard, and what it drops
  is listed with its reason.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol

from ..index.store import Chunk
from ..models.llm import Generator
from ..prompts import Prompts
from ..settings import Settings
from .compose import date_lead, extractive, remote_draft
from .guard import CheckedSentence, GuardReport
from .lead import yes_no_lead
from .question import QuestionProfile
from .units import Evidence

Removed = list[tuple[str, str]]  # (text, why): what a composer left out, for ``Answer.removed``


class Composer(Protocol):
    """Writes the answer from the chosen evidence: checked sentences, streamed; what it leaves out goes to
    ``removed`` with its reason."""

    name: str
    writes: bool  # a model writes the sentences (follow-ups are then rewritten by it too)

    def compose(self, q: QuestionProfile, evidence: list[Evidence], passages: list[Chunk],
                removed: Removed) -> Iterator[CheckedSentence]: ...


class ExtractiveComposer:
    """The evidence's own sentences, verbatim, after a date lead or a yes/no lead when one applies."""

    name, writes = "extractive", False

    def __init__(self, judge=None):
        self.judge = judge  # decides the yes/no lead; None: no lead

    def compose(self, q: QuestionProfile, evidence: list[Evidence], passages: list[Chunk],
                removed: Removed) -> Iterator[CheckedSentence]:
        dated = date_lead(q.text, evidence, passages)
        if dated is not None:
            yield dated
        if self.judge is not None:
            lead = yes_no_lead(self.judge, q, evidence, passages, removed)
            if lead is not None:
                yield lead
                evidence = evidence[1:]  # the lead quotes the best unit
        yield from extractive(evidence, passages)


class ModelComposer:
    """The backend's model writes from the retrieved passages; the citation guard keeps what they support."""

    name, writes = "model", True

    def __init__(self, generator: Callable[[], Generator], prompts: Prompts,
                 guard: Callable[[str, list[Chunk]], GuardReport]):
        self.generator = generator  # called when the first answer is written: the model loads then
        self.prompts = prompts
        self.guard = guard

    def compose(self, q: QuestionProfile, evidence: list[Evidence], passages: list[Chunk],
                removed: Removed) -> Iterator[CheckedSentence]:
        yield from remote_draft(q.text, passages, self.generator(), self.prompts,
                                lambda draft: self.guard(draft, passages), removed)


COMPOSERS = {"extractive": ExtractiveComposer, "model": ModelComposer}


def composer_name(settings: Settings) -> str:
    """The composer the settings name ("auto": extractive for the local backend, else the model's)."""
    if settings.composer != "auto":
        return settings.composer
    return "extractive" if settings.backend == "local" else "model"
