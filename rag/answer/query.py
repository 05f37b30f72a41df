"""The question understood once (``AnswerPipeline.understand``), before it is routed."""

from __future__ import annotations

import dataclasses

from .catalog import CatalogQuery
from .question import QuestionProfile


@dataclasses.dataclass(frozen=True)
class Query:
    """The question understood once, before it is routed: as asked (cleaned, cut to the limit), the requests
    about the answer's form taken out, made standalone from the dialog, and what it asks for: a corpus-level
    question for the catalog, a comparison's topic, or else the profile the answer path ranks and judges by."""

    question: str  # as asked: cleaned, cut to the limit
    standalone: str  # without the form requests, made standalone from the dialog
    directives: tuple[str, ...] = ()  # requests about the answer's form, not followed
    truncated: bool = False  # cut to RAG_MAX_QUESTION_CHARS
    catalog: CatalogQuery | None = None
    topic: str | None = None
    profile: QuestionProfile | None = None  # None on the catalog route

    @property
    def route(self) -> str:
        return "catalog" if self.catalog is not None else "compare" if self.topic is not None else "answer"
