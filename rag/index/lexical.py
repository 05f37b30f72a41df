"""The lexical side of the index: BM25 over stemmed words, the document list, and each chunk's sentence
vectors, behind one interface with two engines.

* ``SqliteLexicalIndex`` (rag/index/lexical_sqlite.py, the default): one SQLite FTS5 file beside the vectors,
  for the app processes of one machine.
* ``PostgresLexicalIndex`` (rag/index/lexical_postgres.py, ``RAG_LEXICAL_URL``): a PostgreSQL database that
  app processes on several machines share.

Both are written in the same ingest step as Chroma, a batch of documents per transaction, and neither
is loaded whole: a search, a document frequency or a chunk's sentence vectors is one indexed query, so
start-up and memory do not grow with the corpus. BM25 scores are the same in both (FTS5's formula).
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .store import Chunk

SCHEMA_VERSION = 1
COMMON_FROM = 5_000  # chunks from which very common words are left out of a lexical query ...
COMMON_SHARE = 0.05  # ... "very common": in more than this share of the chunks ...
COMMON_KEEP = 2  # ... but a query keeps at least its two rarest words ("PyBytes_Check": "pybyt" + "check")
STATS_TTL = 60.0  # seconds a process trusts its cached counts: other processes' writes show within this
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() defaults; the PostgreSQL engine computes the same formula


@dataclass
class SentenceVectors:
    """The sentence spans of one chunk (in the chunk's text) and their unit vectors."""

    spans: np.ndarray  # (n, 2) int32
    vectors: np.ndarray  # (n, dim) float32

    def lookup(self) -> dict[tuple[int, int], np.ndarray]:
        return {(int(s), int(e)): v for (s, e), v in zip(self.spans, self.vectors)}

    @classmethod
    def from_bytes(cls, spans: bytes, vectors: bytes) -> "SentenceVectors":
        """Read back what ``to_bytes`` stored (vectors as float16: half the bytes, cosine error < 1e-3)."""
        span_array = np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)
        vector_array = np.frombuffer(vectors, dtype=np.float16).astype(np.float32)
        return cls(span_array, vector_array.reshape(len(span_array), -1) if len(span_array)
                   else vector_array.reshape(0, 0))

    def to_bytes(self) -> tuple[bytes, bytes]:
        return self.spans.astype(np.int32).tobytes(), self.vectors.astype(np.float16).tobytes()


NO_SENTENCES = SentenceVectors(np.zeros((0, 2), np.int32), np.zeros((0, 0), np.float32))


@dataclass
class IndexedDocument:
    """What ingest writes for one document: its chunks, and per chunk its sentence spans and vectors."""

    doc_id: str
    content_hash: str
    title: str
    date: str | None
    chunks: list[Chunk]
    sentences: list[SentenceVectors]


def fts_tokens(text: str) -> list[str]:
    """The tokens FTS5's ``unicode61`` tokenizer makes of ``text``: lower case, diacritics removed, split at
    everything but letters and digits. Both engines index and count these."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", folded.lower())


def date_number(date: str | None) -> int | None:
    """``"2021-03-04"`` -> 20210304, the form date filters compare."""
    return int(date.replace("-", "")) if date else None


class LexicalIndex(ABC):
    """BM25 search, document frequencies, the document list and sentence vectors of one collection.

    An engine implements the storage (the abstract methods); the query policy (which words a large
    index leaves out, IDF) is shared here so both engines rank alike."""

    def __init__(self) -> None:
        self._df: dict[str, int] = {}
        self._total: int | None = None
        self._counted_at = time.monotonic()

    @classmethod
    def of_chunks(cls, chunks: list[Chunk], **engine_args) -> "LexicalIndex":
        """An index of ``chunks`` without sentence vectors (tests, one-off scripts)."""
        index = cls(**engine_args)
        by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            by_doc.setdefault(c.doc_id, []).append(c)
        index.write([IndexedDocument(doc_id, cs[0].content_hash, cs[0].doc_title, cs[0].date, cs,
                                     [NO_SENTENCES] * len(cs)) for doc_id, cs in by_doc.items()])
        return index

    # --- what an engine implements -------------------------------------------------------------

    @abstractmethod
    def write(self, documents: list[IndexedDocument]) -> None:
        """Replace these documents' rows, all in one transaction (a killed ingest leaves none half-written)."""

    @abstractmethod
    def delete_document(self, doc_id: str) -> None: ...

    @abstractmethod
    def reset(self) -> None:
        """Empty the index (a rebuild)."""

    @abstractmethod
    def _search(self, stems: list[str], k: int, doc_ids: tuple[str, ...], date_from: int | None,
                date_to: int | None) -> list[tuple[str, float]]: ...

    @abstractmethod
    def _count_chunks(self) -> int: ...

    @abstractmethod
    def _token_frequencies(self, tokens: list[str]) -> dict[str, int]:
        """Chunks holding each token (absent tokens may be left out)."""

    @abstractmethod
    def _sentence_rows(self, chunk_ids: list[str]) -> list[tuple[str, int, bytes, bytes]]:
        """(chunk id, crc32 of the embedded text, spans, vectors) of these chunks."""

    @abstractmethod
    def document_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every document the index holds whole."""

    @abstractmethod
    def documents(self) -> list[dict]:
        """Indexed documents: doc_id, title, date and chunk count, by doc_id."""

    @abstractmethod
    def opening_chunk_ids(self, per_story: bool = False, doc_ids: list[str] | None = None) -> list[str]:
        """The id of each document's first chunk (or each story's), in (doc_id, story) order; only these
        documents' when ``doc_ids`` is given."""

    @abstractmethod
    def close(self) -> None: ...

    # --- shared query policy -------------------------------------------------------------------

    def search(self, stems: list[str], k: int, doc_ids: tuple[str, ...] = (), date_from: int | None = None,
               date_to: int | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the k best chunks holding any of ``stems``, within the filters."""
        chosen = self.discriminating(stems)
        return self._search(chosen, k, doc_ids, date_from, date_to) if chosen else []

    def discriminating(self, stems: list[str]) -> list[str]:
        """``stems`` without those in more than ``COMMON_SHARE`` of the chunks of a large index (the
        ``COMMON_KEEP`` rarest always stay). As Lucene's common-terms query does: such a word adds almost
        nothing to BM25's order, but the engine would score every chunk that holds it."""
        stems = [s for s in dict.fromkeys(stems) if fts_tokens(s)]
        total = self.chunk_count()
        if total < COMMON_FROM or len(stems) < 2:
            return stems
        frequency = {s: self.document_frequency(s) for s in stems}
        rarest = set(sorted(stems, key=frequency.get)[:COMMON_KEEP])
        return [s for s in stems if s in rarest or frequency[s] <= COMMON_SHARE * total]

    def chunk_count(self) -> int:
        self._expire()
        if self._total is None:
            self._total = self._count_chunks()
        return self._total

    def document_frequency(self, stem: str) -> int:
        """Chunks holding ``stem``; for a hyphenated one ("asia-pacific"), those holding its rarest part."""
        parts = fts_tokens(stem)
        if not parts:
            return 0
        self._expire()
        return min(self._frequencies(parts).values())

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        """Chunks holding each of ``terms`` (index terms), through the cache: one query for those it lacks."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            found = self._token_frequencies(missing)
            self._df.update({t: found.get(t, 0) for t in missing})
        return {t: self._df[t] for t in terms}

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
        return {chunk_id: SentenceVectors.from_bytes(spans, vectors)
                for chunk_id, crc, spans, vectors in self._sentence_rows(list(by_id))
                # a chunk re-written since is left out: the caller embeds what it needs itself
                if crc == text_checksum(by_id[chunk_id].text)}

    def _forget(self) -> None:
        """Drop cached counts (after a write)."""
        self._df.clear()
        self._total = None
        self._counted_at = time.monotonic()

    def _expire(self) -> None:
        if time.monotonic() - self._counted_at > STATS_TTL:
            self._forget()


def text_checksum(text: str) -> int:
    """What a chunk's sentence vectors are checked against: the text they were computed from."""
    return zlib.crc32(text.encode())
