"""The injection screen's verdicts, read once per chunk and kept with it: ``screen_chunks`` has the judge read
every piece of every chunk not yet read under the current reading (``prompts/judge_injection.txt`` and the
probe of ``rag.models.probe``), and writes each chunk's verdicts into its Chroma record (``ChunkStore``). An
answer then keeps out a piece flagged there without asking the judge again (``rag.answer.injection``).

What is read is fixed by the chunk's text alone (``screen_pieces``): each paragraph whole, or, past
``SCREEN_CHARS``, in runs of whole sentences up to that length. A chunk written again (its document changed)
loses its verdicts and is read again; so is every chunk when the reading changes (another judge model,
prompt or probe: the verdicts carry the reading's tag).

The server screens in the background, when no question has been asked for ``Settings.screen_quiet_seconds``
(``Assistant.screen_in_background``); ``Assistant.screen()`` or ``python -m rag index --screen`` does it at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ..text import paragraph_spans, sentence_spans
from .store import Chunk, ChunkStore, ScreenVerdict

# A longer paragraph is read in runs of whole sentences up to this many characters: the probe was fitted on
# paragraphs of 80-700 characters and on sentence windows of longer ones (bench.injection --windows), and the
# judge reads ~50 tokens a second on 2 cores (measured: ~7 s a 160-token chunk, AlexNet 256 chunks in 30 min).
SCREEN_CHARS = 700
BATCH = 32  # chunks read from the store at a time, their verdicts written together (not tuned: bounds memory)


def screen_pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of what the screen reads of ``text``: its paragraphs, a longer one cut between sentences
    into runs of at most ``SCREEN_CHARS`` (a single longer sentence is a piece of its own)."""
    pieces: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text):
        if p_end - p_start <= SCREEN_CHARS:
            pieces.append((p_start, p_end))
            continue
        run_start = run_end = None
        for s, e in sentence_spans(text, p_start, p_end):
            if run_start is not None and e - run_start > SCREEN_CHARS:
                pieces.append((run_start, run_end))
                run_start = None
            run_start = s if run_start is None else run_start
            run_end = e
        if run_start is not None:
            pieces.append((run_start, run_end))
    return pieces


def screen_over(chunks: list[Chunk], start: int, end: int) -> ScreenVerdict | None:
    """The verdicts for the document span ``[start, end)`` (a passage widened over its neighbours), in its own
    coordinates, from the ``chunks`` that cover it: None unless each was read under one and the same reading."""
    over = [c for c in chunks if c.start < end and start < c.end]
    readings = {c.screen.reading if c.screen else None for c in over}
    if len(readings) != 1 or None in readings:
        return None
    pieces = sorted({(max(c.start + s, start) - start, min(c.start + e, end) - start, p) for c in over
                     for s, e, p in c.screen.pieces if c.start + s < end and start < c.start + e})
    return ScreenVerdict(readings.pop(), tuple(pieces))


@dataclass
class ScreenJob:
    """A screening pass over the index: chunks read so far, of how many unread at its start, pieces flagged."""

    running: bool = True
    done: int = 0
    total: int = 0
    flagged: int = 0
    started: float = field(default_factory=time.monotonic)
    error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def describe(self) -> str:
        """One line for a status display."""
        if self.error:
            return f"The screen for instructions to an AI stopped: {self.error}"
        if self.running:
            return (f"Screening passages for instructions to an AI: {self.done} of {self.total} chunks "
                    f"({time.monotonic() - self.started:.0f} s).")
        return f"Screened {self.done} chunks for instructions to an AI; passages kept out: {self.flagged}."


def screen_chunks(store: ChunkStore, read: Callable[[list[str]], list[float]], reading: str, threshold: float,
                  job: ScreenJob | None = None, pause: Callable[[], None] = lambda: None) -> ScreenJob:
    """Read every chunk without verdicts under ``reading``: ``read`` gives P(an order to an AI) per piece,
    ``pause`` is called before each piece (the server waits there while questions are asked), ``job.stop`` ends
    the pass between pieces. Verdicts are written ``BATCH`` chunks at a time; returns the job."""
    job = job or ScreenJob()
    try:
        ids = store.unscreened_ids(reading)
        job.total = len(ids)
        for at in range(0, len(ids), BATCH):
            batch = store.get_chunks(ids[at : at + BATCH])  # (a chunk removed meanwhile is not there)
            verdicts: list[tuple[Chunk, ScreenVerdict]] = []
            for chunk in batch:
                spans = screen_pieces(chunk.text)
                scores: list[float] = []
                for s, e in spans:
                    pause()
                    if job.stop.is_set():
                        break
                    scores += read([chunk.text[s:e]])
                if len(scores) < len(spans):
                    break
                verdict = ScreenVerdict(reading, tuple((s, e, round(p, 3)) for (s, e), p in zip(spans, scores)))
                verdicts.append((chunk, verdict))
                job.flagged += len(verdict.flagged(threshold))
            store.record_screens(verdicts)
            job.done += len(verdicts)
            if job.stop.is_set():
                break
    except Exception as exc:  # shown in the status; the verdicts written so far are kept
        job.error = f"{exc.__class__.__name__}: {exc}"
    finally:
        job.running = False
    return job


class BackgroundScreen:
    """``screen_chunks`` in a thread of its own, one pass at a time (what a server runs while idle): ``start``
    gives the running pass's job or starts one; ``stop`` ends it between two pieces and waits for it."""

    def __init__(self):
        self._running: tuple[ScreenJob, threading.Thread] | None = None

    @property
    def job(self) -> ScreenJob | None:
        """The last pass's job (running or ended), if one was started."""
        return self._running[0] if self._running else None

    def start(self, store: ChunkStore, read: Callable[[list[str]], list[float]], reading: str, threshold: float,
              wait_quiet: Callable[[threading.Event], None]) -> ScreenJob:
        """A pass over ``store`` (``wait_quiet(job.stop)`` before each piece), unless one is running."""
        if self._running is not None and self._running[0].running:
            return self._running[0]
        job = ScreenJob()
        thread = threading.Thread(target=screen_chunks, name="background-screen", daemon=True,
                                  args=(store, read, reading, threshold, job, lambda: wait_quiet(job.stop)))
        self._running = (job, thread)
        thread.start()
        return job

    def stop(self) -> bool:
        """End the pass (between two pieces) and wait for it; whether one was started (to start again)."""
        if self._running is None:
            return False
        job, thread = self._running
        job.stop.set()
        thread.join()
        return True
