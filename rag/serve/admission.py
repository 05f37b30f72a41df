"""Per-client fairness: at most ``RAG_MAX_QUESTIONS_PER_CLIENT`` questions in flight from one client
address, through the web UI and an open ``/v1`` together, so one caller cannot fill the queue that
everyone shares (a flood of anonymous questions made a keyed one wait 73 s instead of 8-13 s).

Not counted: the machine itself (127.0.0.1 and ::1: the app listens there by default, and a local
reverse proxy forwards from there) and ``/v1`` callers with the server's key (``RAG_SERVER_API_KEY``),
who are trusted. A Gradio session id is chosen by the client, so the address is the identity. Behind a
reverse proxy named in ``RAG_TRUSTED_PROXIES`` the address is the visitor's, from X-Forwarded-For (uvicorn
reads it, for the web UI and /v1 alike); from anyone else the header is ignored.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable

LOCAL = frozenset({"127.0.0.1", "::1", "localhost"})


class PerClient:
    """Questions in flight per client address, bounded by ``limit`` (0: no bound)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()

    def admit(self, address: str | None) -> Callable[[], None] | None:
        """A release to call when the question is done, or None when this address is at its bound."""
        if not self.limit or not address or address in LOCAL:
            return _nothing
        with self._lock:
            if self._in_flight[address] >= self.limit:
                return None
            self._in_flight[address] += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._in_flight[address] -= 1
                if self._in_flight[address] <= 0:
                    del self._in_flight[address]

        return release

    def busy_message(self) -> str:
        return (f"busy: {self.limit} question{'s' if self.limit != 1 else ''} from your address "
                f"{'are' if self.limit != 1 else 'is'} being answered; ask again when "
                f"{'they are' if self.limit != 1 else 'it is'} done (RAG_MAX_QUESTIONS_PER_CLIENT)")


def _nothing() -> None:
    pass
