"""Indexing beside answering: ``QuestionsFirst`` lets the questions in flight go before an ingest's next
slice of encoding; ``IngestJob`` is an ingest running in a background thread (``Assistant.index_in_background``)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, TypeVar

from .ingest import IngestReport

T = TypeVar("T")  # what a counted stream yields (the answer's partial renderings)


class QuestionsFirst:
    """Counts the questions being answered, so that an ingest lets them go first: on a small machine the
    encoder and the judge each want every core (``python -m bench.beside`` measures a question during an
    ingest, with and without). ``wait_idle`` is what the ingest calls between two slices of encoding; it
    waits at most ``max_wait`` seconds (``Settings.ingest_yield_seconds``)."""

    def __init__(self, max_wait: float):
        self.max_wait = max_wait
        self._in_flight = 0
        self._last = time.monotonic()  # when the last question ended
        self._idle = threading.Condition()

    @contextmanager
    def question(self):
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._last = time.monotonic()
                self._idle.notify_all()

    def counted(self, answers: Iterator[T]) -> Iterator[T]:
        """``answers`` counted as one question from its first step until it ends or is closed."""
        with self.question():
            yield from answers

    def wait_idle(self) -> float:
        """Wait until no question is being answered (at most ``max_wait`` s); the seconds waited."""
        started = time.monotonic()
        with self._idle:
            while self._in_flight and (left := started + self.max_wait - time.monotonic()) > 0:
                self._idle.wait(left)
        return time.monotonic() - started


    def wait_quiet(self, seconds: float, stop: threading.Event) -> None:
        """Wait until no question has been answered for ``seconds`` (or ``stop`` is set): what the background
        screen calls before each piece it reads (``Settings.screen_quiet_seconds``)."""
        with self._idle:
            while not stop.is_set():
                left = 1.0 if self._in_flight else self._last + seconds - time.monotonic()
                if left <= 0:
                    return
                self._idle.wait(min(left, 1.0))  # (1 s: a stop is seen within it)


@dataclass
class IngestJob:
    """An ingest running in the background (``Assistant.index_in_background``): its progress as the
    ingest reports it, then its report or its error."""

    folder: str
    running: bool = True
    done: float = 0.0
    total: int = 0
    doc_id: str = ""
    started: float = field(default_factory=time.monotonic)
    report: IngestReport | None = None
    error: str | None = None

    def update(self, done: float, total: int, doc_id: str) -> None:
        self.done, self.total, self.doc_id = done, total, doc_id

    def describe(self) -> str:
        """One line for a status display."""
        if self.running:
            counted = f": {self.done:.0f} of {self.total} documents, now {self.doc_id}" if self.total else ""
            return f"Indexing in the background{counted} ({time.monotonic() - self.started:.0f} s)."
        if self.error:
            return f"The background indexing stopped: {self.error}"
        return "Indexing finished. " + (self.report.summary(paths=False) if self.report else "")
