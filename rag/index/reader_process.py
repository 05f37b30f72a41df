"""Documents read in a worker process, with a time limit per document.

A file whose reading takes longer than ``RAG_MAX_READ_SECONDS`` is skipped with that verdict ("took longer
than 30 s to read"), and remembered as unreadable until it changes (``rag.index.corpus.load_corpus``); the worker
is killed and the next document gets a fresh one. Reading in another process also keeps a pathological file
(a PDF its parser loops on, a page nested 50,000 deep) from holding the answering process's interpreter
while questions are being answered.

The worker is a ``python`` running ``serve()`` (not ``multiprocessing``, which would import the parent's
``__main__`` again: the web app), speaking length-prefixed pickles over its stdin and stdout.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from .corpus import SourceDocument, load_document

_HEADER = struct.Struct("!Q")
STARTUP_SECONDS = 60.0  # the worker importing the readers and the sentence splitter's data (~3 s on a busy 2-core box)


class ReaderProcess:
    """``read(path, max_chars, seconds)`` as ``rag.index.corpus.load_document``, in a worker process, within
    ``seconds``. One read at a time; the worker is started on the first read and kept for the next ones
    (it takes ~2-3 s to start: an interpreter, the readers and the sentence splitter's data)."""

    def __init__(self):
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def read(self, path: Path, max_chars: int | None = None, seconds: float = 30.0) -> SourceDocument:
        with self._lock:
            if self._process is None:
                self._start()
            try:
                _send(self._process.stdin, (str(path), max_chars))
                ok, value = _receive(self._process.stdout, time.monotonic() + seconds)
            except TimeoutError:
                self._stop()
                raise ValueError(f"took longer than {seconds:g} s to read (RAG_MAX_READ_SECONDS)") from None
            except (EOFError, OSError):  # the worker died (out of memory, a crash in a parser)
                self._stop()
                raise ValueError("the reader stopped while reading it (out of memory, or a parser crashed)") from None
        if ok:
            return value
        raise value

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                try:
                    _send(self._process.stdin, None)
                    self._process.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
                self._stop()

    def _start(self) -> None:
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent,
                                                                          os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen([sys.executable, "-c", "from rag.index.reader_process import serve; serve()"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:
            ready = _receive(self._process.stdout, time.monotonic() + STARTUP_SECONDS)
        except (TimeoutError, EOFError, OSError):
            ready = None
        if ready != "ready":
            self._stop()
            raise OSError("the document reader process did not start")

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                stream.close()


_SHARED = ReaderProcess()  # one worker per process, for the ingest and the uploads' checks
atexit.register(_SHARED.close)


def timed_reader(seconds: float) -> Callable[[Path, int | None], SourceDocument]:
    """``load_document`` in the process's shared worker, each document within ``seconds``."""
    return lambda path, max_chars=None: _SHARED.read(path, max_chars, seconds)


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream, deadline: float):
    """The next pickled value on ``stream``; TimeoutError past ``deadline``, EOFError if it closes."""
    header = _read_exactly(stream, _HEADER.size, deadline)
    return pickle.loads(_read_exactly(stream, _HEADER.unpack(header)[0], deadline))


def _read_exactly(stream, size: int, deadline: float) -> bytes:
    fd, chunks, got = stream.fileno(), [], 0
    while got < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def serve() -> None:
    """The worker: reads (path, max_chars) requests until None, answers (True, document) or (False, error)."""
    from ..text import sentence_spans

    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a parser prints goes to stderr, not into the replies
    sentence_spans("Loaded first. The sentence splitter's data takes seconds.")  # not counted as a document's time
    try:
        _serve(requests, replies)
    except (BrokenPipeError, EOFError, OSError):  # the reading process has gone: so does the worker
        return


def _serve(requests, replies) -> None:
    _send(replies, "ready")
    while True:
        header = requests.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        request = pickle.loads(requests.read(_HEADER.unpack(header)[0]))
        if request is None:
            return
        path, max_chars = request
        try:
            reply = (True, load_document(Path(path), max_chars))
        except (OSError, ValueError) as exc:
            reply = (False, exc)
        except Exception as exc:  # noqa: BLE001 (a parser's bug is this file's verdict, not the ingest's end)
            reply = (False, ValueError(f"could not be read: {type(exc).__name__}: {exc}"))
        _send(replies, reply)

