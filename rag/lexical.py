"""The lexical side of the index: BM25 over stemmed words (SQLite FTS5), and each chunk's sentence vectors.

Both live in one SQLite file beside the vectors (``<index_dir>/<collection>.lexical.sqlite3``) and are
written in the same ingest step as Chroma, a batch of documents per transaction. Nothing is loaded whole:
a search, a document frequency or a chunk's sentence vectors is one indexed query, so start-up and memory
do not grow with the corpus.

Why these choices (measured, see docs/benchmarks.md):

* FTS5 ships in Python's standard library, ranks with ``bm25()`` and updates in place. rank-bm25 held
  every chunk's tokens in memory and was rebuilt from scratch after each change; Chroma's own sparse
  index is refused by local and single-node Chroma 1.5 ("Sparse vector indexing is not enabled in local").
* Sentence vectors sit here rather than in a second Chroma collection: nobody searches them by
  similarity, and a collection would build (and load into memory) an HNSW graph over every sentence.
  They are stored as float16 (half the bytes; cosine differences below 1e-3).
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .store import Chunk
from .text import content_stems

SCHEMA_VERSION = 1
COMMON_FROM = 5_000  # chunks from which very common words are left out of a lexical query ...
COMMON_SHARE = 0.05  # ... "very common": in more than this share of the chunks ...
COMMON_KEEP = 2  # ... but a query keeps at least its two rarest words ("PyBytes_Check": "pybyt" + "check")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents(doc_id TEXT PRIMARY KEY, content_hash TEXT, title TEXT, date TEXT,
                                     chunks INTEGER);
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT, story INTEGER,
                                  start INTEGER, date_int INTEGER, text_crc INTEGER, spans BLOB, vectors BLOB);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, story, start);
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(stems, tokenize='unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS words_vocab USING fts5vocab(words, 'row');
"""


@dataclass
class SentenceVectors:
    """The sentence spans of one chunk (in the chunk's text) and their unit vectors."""

    spans: np.ndarray  # (n, 2) int32
    vectors: np.ndarray  # (n, dim) float32

    def lookup(self) -> dict[tuple[int, int], np.ndarray]:
        return {(int(s), int(e)): v for (s, e), v in zip(self.spans, self.vectors)}


@dataclass
class IndexedDocument:
    """What ingest writes for one document: its chunks, and per chunk its sentence spans and vectors."""

    doc_id: str
    content_hash: str
    title: str
    date: str | None
    chunks: list[Chunk]
    sentences: list[SentenceVectors]


def lexical_path(index_dir: Path, collection: str, chroma_url: str | None = None) -> Path:
    """Where the lexical index of a collection lives: in ``index_dir``, named after the collection (and
    the Chroma server holding its vectors, so an embedded index and a served one never share a file)."""
    server = "@" + re.sub(r"[^A-Za-z0-9.]+", "_", chroma_url.split("//")[-1]).strip("_") if chroma_url else ""
    return Path(index_dir) / f"{collection}{server}.lexical.sqlite3"


def match_expression(stems: list[str]) -> str | None:
    """An FTS5 query matching any of ``stems`` (each quoted: a stem is data, never query syntax)."""
    terms = [s for s in dict.fromkeys(stems) if re.search(r"\w", s)]
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) or None


class LexicalIndex:
    """BM25 search, document frequencies, the document list and sentence vectors, from one SQLite file."""

    def __init__(self, path: str | Path = ":memory:", embed_model: str = ""):
        """Open (or create) the index at ``path``; ``":memory:"`` gives a throwaway one (tests)."""
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the app's threads, each statement under the lock: lookups take
        # well under a millisecond, and other processes (a CLI ingest) still read and write via WAL.
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60, isolation_level=None)
        self._lock = threading.RLock()
        self._df: dict[str, int] = {}
        self._total: int | None = None
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            if self._meta("schema") != str(SCHEMA_VERSION) or (embed_model and self._meta("embed_model")
                                                                not in (None, embed_model)):
                self._clear()  # another layout or other vectors: rebuilt by the next ingest
            self._set_meta(schema=str(SCHEMA_VERSION), **({"embed_model": embed_model} if embed_model else {}))

    @classmethod
    def of_chunks(cls, chunks: list[Chunk]) -> "LexicalIndex":
        """A throwaway in-memory index of ``chunks``, without sentence vectors (tests, one-off scripts)."""
        index = cls()
        by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            by_doc.setdefault(c.doc_id, []).append(c)
        none = SentenceVectors(np.zeros((0, 2), np.int32), np.zeros((0, 0), np.float32))
        index.write([IndexedDocument(doc_id, cs[0].content_hash, cs[0].doc_title, cs[0].date, cs, [none] * len(cs))
                     for doc_id, cs in by_doc.items()])
        return index

    # --- writing -----------------------------------------------------------------------------

    def write(self, documents: list[IndexedDocument]) -> None:
        """Replace these documents' rows, all in one transaction (a killed ingest leaves none half-written)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for doc in documents:
                    self._delete(doc.doc_id)
                    for chunk, sentences in zip(doc.chunks, doc.sentences):
                        row = self._db.execute(
                            "INSERT INTO chunks(chunk_id, doc_id, story, start, date_int, text_crc, spans, vectors)"
                            " VALUES (?,?,?,?,?,?,?,?)",
                            (chunk.id, chunk.doc_id, chunk.story, chunk.start,
                             int(chunk.date.replace("-", "")) if chunk.date else None, zlib.crc32(chunk.text.encode()),
                             sentences.spans.astype(np.int32).tobytes(),
                             sentences.vectors.astype(np.float16).tobytes()),
                        ).lastrowid
                        self._db.execute("INSERT INTO words(rowid, stems) VALUES (?, ?)",
                                         (row, " ".join(content_stems(f"{chunk.title} {chunk.text}"))))
                    self._db.execute("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?)",
                                     (doc.doc_id, doc.content_hash, doc.title, doc.date, len(doc.chunks)))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._forget()

    def delete_document(self, doc_id: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._delete(doc_id)
            self._db.execute("COMMIT")
            self._forget()

    def reset(self) -> None:
        """Empty the index (a rebuild)."""
        with self._lock:
            self._clear()

    def _delete(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM words WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,))
        self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def _clear(self) -> None:
        self._db.executescript("DELETE FROM words; DELETE FROM chunks; DELETE FROM documents; DELETE FROM meta;")
        self._forget()

    def _forget(self) -> None:
        self._df.clear()
        self._total = None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, **values: str) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    # --- reading -----------------------------------------------------------------------------

    def search(self, stems: list[str], k: int, doc_ids: tuple[str, ...] = (), date_from: int | None = None,
               date_to: int | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the k best chunks holding any of ``stems``, within the filters."""
        expression = match_expression(self.discriminating(stems))
        if expression is None:
            return []
        sql = ("SELECT c.chunk_id, -bm25(words) AS score FROM words JOIN chunks c ON c.id = words.rowid "
               "WHERE words MATCH ?")
        args: list = [expression]
        if doc_ids:
            sql += f" AND c.doc_id IN ({','.join('?' * len(doc_ids))})"
            args += list(doc_ids)
        if date_from is not None:
            sql += " AND c.date_int >= ?"
            args.append(date_from)
        if date_to is not None:
            sql += " AND c.date_int <= ?"
            args.append(date_to)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY bm25(words) LIMIT ?", (*args, k)).fetchall()
        return [(chunk_id, float(score)) for chunk_id, score in rows]

    def discriminating(self, stems: list[str]) -> list[str]:
        """``stems`` without those in more than ``COMMON_SHARE`` of the chunks of a large index (the
        ``COMMON_KEEP`` rarest always stay). As Lucene's common-terms query does: such a word adds almost
        nothing to BM25's order, but FTS5 would score every chunk that holds it."""
        total = self.chunk_count()
        if total < COMMON_FROM or len(stems) < 2:
            return stems
        frequency = {s: self.document_frequency(s) for s in stems}
        rarest = set(sorted(stems, key=frequency.get)[:COMMON_KEEP])
        return [s for s in stems if s in rarest or frequency[s] <= COMMON_SHARE * total]

    def chunk_count(self) -> int:
        if self._total is None:
            with self._lock:
                self._total = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return self._total

    def document_frequency(self, stem: str) -> int:
        """Chunks holding ``stem``; for a hyphenated one ("asia-pacific"), those holding its rarest part."""
        parts = re.findall(r"\w+", stem.lower())
        if not parts:
            return 0
        found = []
        for part in parts:
            if part not in self._df:
                with self._lock:
                    row = self._db.execute("SELECT doc FROM words_vocab WHERE term = ?", (part,)).fetchone()
                self._df[part] = row[0] if row else 0
            found.append(self._df[part])
        return min(found)

    def idf(self, stem: str) -> float:
        """Smoothed IDF; a word the corpus never uses gets the highest weight."""
        n = max(self.chunk_count(), 1)
        return math.log((n + 1) / (self.document_frequency(stem) + 0.5))

    def frequency(self, stem: str) -> float:
        """Share of the chunks that contain ``stem``."""
        return self.document_frequency(stem) / max(self.chunk_count(), 1)

    def knows(self, stem: str) -> bool:
        """Whether any chunk uses ``stem`` (every part of a hyphenated one counts on its own)."""
        return self.document_frequency(stem) > 0

    def sentence_vectors(self, chunks: list[Chunk]) -> dict[str, SentenceVectors]:
        """Chunk id -> its stored sentence vectors, for the chunks whose text is what was embedded."""
        if not chunks:
            return {}
        by_id = {c.id: c for c in chunks}
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk_id, text_crc, spans, vectors FROM chunks WHERE chunk_id IN "
                f"({','.join('?' * len(by_id))})", list(by_id)).fetchall()
        found = {}
        for chunk_id, crc, spans, vectors in rows:
            if crc != zlib.crc32(by_id[chunk_id].text.encode()):
                continue  # re-written since: the caller embeds what it needs itself
            span_array = np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)
            vector_array = np.frombuffer(vectors, dtype=np.float16).astype(np.float32)
            found[chunk_id] = SentenceVectors(span_array, vector_array.reshape(len(span_array), -1)
                                              if len(span_array) else vector_array.reshape(0, 0))
        return found

    def document_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every document the index holds whole."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def documents(self) -> list[dict]:
        """Indexed documents: doc_id, title, date and chunk count, by doc_id."""
        with self._lock:
            rows = self._db.execute("SELECT doc_id, title, date, chunks FROM documents ORDER BY doc_id").fetchall()
        return [{"doc_id": d, "title": t, "date": date, "chunks": n} for d, t, date, n in rows]

    def opening_chunk_ids(self, per_story: bool = False) -> list[str]:
        """The id of each document's first chunk (or each story's), in (doc_id, story) order."""
        group = "doc_id, story" if per_story else "doc_id"
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk_id FROM chunks WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER "
                f"(PARTITION BY {group} ORDER BY story, start) AS n FROM chunks) WHERE n = 1) "
                f"ORDER BY doc_id, story").fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
