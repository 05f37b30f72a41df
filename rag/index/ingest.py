"""Ingest: documents -> token-sized chunks with exact offsets -> vectors (of chunks and of their sentences)
-> the chunk store and the lexical index, in batches.

Re-indexing is incremental by content hash: unchanged documents are skipped, changed ones replaced,
deleted ones removed. The collection is flagged incomplete while an ingest runs, so an interrupted
one is detected and finished on the next start.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import RagError
from ..models.embedding import Encoder
from ..settings import Settings
from ..text import reflow, sentence_spans, words
from .chunking import chunk_document, make_splitter
from .corpus import load_corpus
from .lexical import IndexedDocument, LexicalIndex, SentenceVectors
from .reader_process import timed_reader
from .store import Chunk, ChunkStore

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, int, str], None]  # (documents done, fractions included; total; doc_id)


def described_progress(show: Callable[[float, str], None]) -> ProgressCallback:
    """A progress callback that calls ``show(share done, "indexing <doc>: 2.5 of 10 documents, 3.1/min,
    about 145 s left")``, for a UI's progress bar."""
    started = time.perf_counter()

    def update(done: float, total: int, doc_id: str) -> None:
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", about {(total - done) / rate:.0f} s left" if rate > 0 else ""
        show(done / total if total else 1.0,
             f"indexing {doc_id}: {done:.1f} of {total} documents, {rate * 60:.1f}/min{left}")

    return update


# Chunks embedded between two progress reports and two chances for questions to go first (a question
# waits for at most one slice: about 2 s on 2 cores); a big document reports its progress as it goes.
# A multiple of the encoder's batch size (4), so the batches do not depend on it (see embed_chunks).
# Measured, 750 chunks on 2 cores: 17.0-17.1 s at 64 against 17.6-19.6 s at 256 (two runs each).
EMBED_SLICE = 64
# Chunks per write to the store and the lexical index: per-call costs vanish, memory stays bounded.
WRITE_BATCH = 512


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0
    seconds: float = 0.0

    def summary(self, paths: bool = True) -> str:
        """One line of counts, then a line per skipped file (its name only, without ``paths``: for a UI
        that must not show where the server keeps its files)."""
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged",
                 f"{len(self.removed)} removed", f"{self.chunks} chunks written", f"{self.seconds:.1f}s"]
        text = "indexed: " + ", ".join(parts)
        for path, reason in self.skipped:
            text += f"\nskipped {path if paths else Path(path).name}: {reason}"
        return text


def ingest(
    settings: Settings,
    store: ChunkStore,
    lexical: LexicalIndex,
    encoder: Encoder,
    corpus_dir: Path | None = None,
    progress: bool | ProgressCallback = False,
    rebuild: bool = False,
    pause: Callable[[], object] | None = None,
) -> IngestReport:
    """Bring the vector store and the lexical index in line with the corpus folder; report what changed.
    ``pause`` is called before each slice of encoding (the app waits there while questions are answered)."""
    started = time.perf_counter()
    folder = Path(corpus_dir or settings.corpus_dir)
    memory = unreadable_file(settings)
    if rebuild:  # a rebuild reads every file again
        memory.unlink(missing_ok=True)
    loaded = load_corpus(folder, settings.max_document_chars, read_unreadable(memory),
                         timed_reader(settings.max_read_seconds))
    report = IngestReport(skipped=[(str(p), reason) for p, reason in loaded.skipped])
    if rebuild:
        store.reset()
        lexical.reset()
    store.mark_complete(False)
    # Recorded first, so an interrupted ingest is finished from the same folder, and the app adds
    # uploads to the folder the index was built from (not to the default one, which would drop the rest).
    store.record_corpus_folder(str(folder.resolve()))

    indexed, in_store = indexed_documents(store, lexical)
    current = {d.doc_id: d for d in loaded.documents}
    todo = [d for d in loaded.documents if indexed.get(d.doc_id) != d.content_hash]
    report.unchanged = sorted(d for d in current if indexed.get(d) == current[d].content_hash)
    splitter = make_splitter(settings)
    writer = BatchWriter(store, lexical, replacing=set(indexed) | in_store)

    bar = None
    if progress is True and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="indexing", unit="doc")
    for done, doc in enumerate(todo, 1):
        try:
            chunks = chunk_document(doc, splitter)
            matrix, per_chunk = embed_chunks(encoder, chunks, lambda share: callable(progress) and progress(
                done - 1 + share, len(todo), doc.doc_id), pause)
        except RagError:
            raise  # the store or a setting, not this document: every other document would fail too
        except Exception as exc:  # this document cannot be indexed: set it aside, index the rest
            log.exception("could not index %s", doc.path)
            reason = f"could not be indexed ({exc.__class__.__name__}: {exc})"
            report.skipped.append((str(doc.path), reason))
            stat = doc.path.stat()
            loaded.unreadable[str(doc.path.relative_to(folder))] = {"size": stat.st_size,
                                                                     "mtime_ns": stat.st_mtime_ns, "reason": reason}
            continue
        writer.add(IndexedDocument(doc.doc_id, doc.content_hash, doc.title, doc.date, chunks, per_chunk), matrix)
        (report.updated if doc.doc_id in writer.replacing else report.added).append(doc.doc_id)
        report.chunks += len(chunks)
        if bar is not None:
            bar.update(1)
        elif callable(progress):
            progress(done, len(todo), doc.doc_id)
    writer.flush()
    if bar is not None:
        bar.close()

    for doc_id in sorted((set(indexed) | in_store) - set(current)):
        store.delete_document(doc_id)
        lexical.delete_document(doc_id)
        report.removed.append(doc_id)
    write_unreadable(memory, loaded.unreadable)
    store.mark_complete(True)
    report.seconds = time.perf_counter() - started
    return report


def unreadable_file(settings: Settings) -> Path:
    """Where an ingest remembers the files it could not read or index, so the next one (at every start
    of the app) does not spend the same time on them again unless they changed."""
    return settings.index_dir / f"{settings.collection}.unreadable.json"


def read_unreadable(path: Path) -> dict[str, dict]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write_unreadable(path: Path, unreadable: dict[str, dict]) -> None:
    if not unreadable:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(unreadable, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, path)


def indexed_documents(store: ChunkStore, lexical: LexicalIndex) -> tuple[dict[str, str], set[str]]:
    """(doc_id -> hash of the documents indexed whole, ids of every document the vector store holds).

    The lexical index is written after the store, so a document it holds is in both. Only when the two
    disagree on the chunk count (an index built before the lexical one, an ingest killed between the two
    writes) are the store's own records read, a page at a time, to find what to rewrite or remove.
    """
    indexed = lexical.document_hashes()
    if store.count() == lexical.chunk_count():
        return indexed, set()
    stored = store.document_hashes()
    return {d: h for d, h in indexed.items() if stored.get(d) == h}, set(stored)


class BatchWriter:
    """Collects embedded documents and writes them in batches of about ``WRITE_BATCH`` chunks: one call
    per batch instead of a round trip per document (documents of a few chunks are the common case)."""

    def __init__(self, store: ChunkStore, lexical: LexicalIndex, replacing: set[str]):
        self.store, self.lexical, self.replacing = store, lexical, replacing
        self.pending: list[tuple[IndexedDocument, np.ndarray]] = []

    def add(self, doc: IndexedDocument, chunk_vectors: np.ndarray) -> None:
        self.pending.append((doc, chunk_vectors))
        if sum(len(d.chunks) for d, _ in self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        docs = [d for d, _ in self.pending]
        self.store.write_documents([(d.doc_id, d.chunks, v) for d, v in self.pending],
                                   replacing={d.doc_id for d in docs} & self.replacing)
        self.lexical.write(docs)  # after the store: a document the lexical index holds is whole in both
        self.pending = []


def embed_chunks(encoder: Encoder, chunks: list[Chunk], report: Callable[[float], object],
                 pause: Callable[[], object] | None = None) -> tuple[np.ndarray, list[SentenceVectors]]:
    """The chunks' vectors and, from the same encoder passes, their sentences' vectors
    (``EMBED_SLICE`` chunks per call). A sentence the model's window cut off is embedded on its own."""
    spans = [sentence_units(c.text) for c in chunks]
    texts = [_embedding_text(c) for c in chunks]
    # The encoder batches texts of similar length, and its int8 model quantises each batch as a whole,
    # so a vector depends on its batch. Slices taken in the document's length order (EMBED_SLICE a
    # multiple of the batch size) make the batches one call for the whole document would: the vectors
    # do not depend on the slice size.
    order = sorted(range(len(chunks)), key=lambda i: len(texts[i]))
    rows: list = [None] * len(chunks)
    pooled: list = [None] * len(chunks)
    for at in range(0, len(chunks), EMBED_SLICE):
        part = order[at:at + EMBED_SLICE]
        if pause is not None:
            pause()
        shifts = {i: len(texts[i]) - len(chunks[i].text) for i in part}  # the title before the text
        v, p = encoder.embed_with_spans([texts[i] for i in part], [[(s + shifts[i], e + shifts[i])
                                                                    for s, e in spans[i]] for i in part])
        for i, vector, found in zip(part, np.asarray(v, dtype=np.float32), p):
            rows[i], pooled[i] = vector, found
        if len(chunks) > EMBED_SLICE:
            report(min(at + EMBED_SLICE, len(chunks)) / len(chunks))
    cut = [reflow(c.text[s:e]) for c, found, got in zip(chunks, spans, pooled)
           for (s, e), v in zip(found, got) if v is None]
    alone = iter(np.asarray(encoder.embed(cut), dtype=np.float32) if cut else [])
    matrix = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
    width = matrix.shape[1] if matrix.size else 0
    per_chunk = [SentenceVectors(np.array(found, dtype=np.int32).reshape(-1, 2),
                                 np.array([v if v is not None else next(alone) for v in got],
                                          dtype=np.float32).reshape(len(found), width))
                 for found, got in zip(spans, pooled)]
    return matrix, per_chunk


def sentence_units(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that get a sentence vector: its sentences of three words or more (what the
    answer stage ranks as evidence)."""
    return [(s, e) for s, e in sentence_spans(text) if len(words(text[s:e])) >= 3]


def _embedding_text(chunk: Chunk) -> str:
    # The story title gives a chunk from the middle of an article its topic.
    return f"{chunk.title}\n{chunk.text}" if chunk.title and not chunk.text.startswith(chunk.title) else chunk.text
