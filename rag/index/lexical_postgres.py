"""The lexical engine for several app machines: a PostgreSQL database (``RAG_LEXICAL_URL``).

One schema per collection (``rag_<collection>``) holds the document list, each chunk's row (filters,
token count, sentence vectors) and an inverted index, ``postings(term, chunk, tf, length)``, with a
B-tree on ``term`` that covers the rest. A search reads the postings of the question's words only and computes BM25 in SQL with FTS5's
formula, so the scores and the order match the SQLite engine on the same chunks.

Why postings and not PostgreSQL's ``tsvector``/``ts_rank``: ``ts_rank`` has no inverse document
frequency, so a common word counts as much as a rare one; BM25 needs per-term counts, which a GIN index
over ``tsvector`` does not expose. Extensions that add BM25 (ParadeDB's pg_search, VectorChord-bm25) are
not in Debian's packages.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections import Counter

from ..errors import SettingsError, StoreUnavailable
from ..text import content_stems
from .lexical import (
    BM25_B,
    BM25_K1,
    SCHEMA_VERSION,
    IndexedDocument,
    LexicalIndex,
    date_number,
    fts_tokens,
    text_checksum,
)

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS {s}.documents(doc_id TEXT PRIMARY KEY, content_hash TEXT, title TEXT, date TEXT,
                                         chunks INTEGER);
CREATE TABLE IF NOT EXISTS {s}.chunks(id BIGSERIAL PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,
                                      story INTEGER, start INTEGER, date_int INTEGER, text_crc BIGINT,
                                      length INTEGER NOT NULL, spans BYTEA, vectors BYTEA);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON {s}.chunks(doc_id, story, start);
CREATE TABLE IF NOT EXISTS {s}.postings(term TEXT NOT NULL, chunk BIGINT NOT NULL, tf INTEGER NOT NULL,
                                        length INTEGER NOT NULL, PRIMARY KEY (term, chunk) INCLUDE (tf, length));
CREATE INDEX IF NOT EXISTS postings_by_chunk ON {s}.postings(chunk);
"""

_CHUNK_COLUMNS = ("chunk_id", "doc_id", "story", "start", "date_int", "text_crc", "length", "spans", "vectors")
_CHUNK_TYPES = ("text", "text", "int", "int", "int", "bigint", "int", "bytea", "bytea")


def schema_name(collection: str) -> str:
    """The PostgreSQL schema of a collection: ``rag_`` and its name in lower-case letters, digits and ``_``."""
    return "rag_" + re.sub(r"[^a-z0-9_]", "_", collection.lower())[:50]


def phrase_term(stem: str) -> str:
    """The postings term of a stem: its token, or for a stem FTS5 splits ("asia-pacific") its tokens
    joined by a space, stored as one extra term per occurrence. FTS5 matches such a stem as a phrase;
    this term gives the same counts without storing token positions."""
    return " ".join(fts_tokens(stem))


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


class PostgresLexicalIndex(LexicalIndex):
    """The lexical index in a PostgreSQL database shared by every app process that points at it."""

    def __init__(self, url: str, collection: str = "corpus", embed_model: str = "", connect_timeout: float = 10):
        super().__init__()
        self._length: int | None = None
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is in requirements.txt
            raise SettingsError("RAG_LEXICAL_URL needs psycopg: pip install 'psycopg[binary]'") from exc
        self._psycopg = psycopg
        self.url, self.schema = url, schema_name(collection)
        self._lock = threading.RLock()
        self._connect_timeout = max(1, int(connect_timeout))
        self._db = self._connect()
        with self._writing() as cur:
            cur.execute(_SCHEMA.format(s=self.schema))
            meta = dict(cur.execute(f"SELECT key, value FROM {self.schema}.meta").fetchall())
            if meta.get("schema") != str(SCHEMA_VERSION) or (embed_model and meta.get("embed_model")
                                                              not in (None, embed_model)):
                self._clear(cur)  # another layout or other vectors: rebuilt by the next ingest
            cur.executemany(f"INSERT INTO {self.schema}.meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                            f"SET value = excluded.value",
                            [("schema", str(SCHEMA_VERSION))] + ([("embed_model", embed_model)] if embed_model else []))

    def _connect(self):
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout,
                                         application_name="rag")
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach the PostgreSQL server at {redacted(self.url)} ({exc}); check "
                                   "RAG_LEXICAL_URL or unset it to keep the lexical index in a local file") from exc

    def _connection(self):
        """The shared connection, opened again if the server dropped it (a restart, a failover)."""
        if self._db.closed or self._db.broken:
            self._db = self._connect()
        return self._db

    @contextlib.contextmanager
    def _writing(self):
        """A cursor in a transaction that holds this collection's write lock: writers from several
        processes or machines take turns, readers never wait."""
        with self._lock, self._errors(), self._connection().transaction(), self._db.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            yield cur
        self._forget()

    @contextlib.contextmanager
    def _errors(self):
        try:
            yield
        except self._psycopg.OperationalError as exc:
            raise StoreUnavailable(f"lost the PostgreSQL server at {redacted(self.url)} ({exc}); "
                                   "check RAG_LEXICAL_URL") from exc

    def _read(self, sql: str, args=()) -> list[tuple]:
        """Rows of one query; a read on a connection the server dropped is tried once more on a new one."""
        with self._lock, self._errors():
            try:
                return self._connection().execute(sql, args).fetchall()
            except self._psycopg.OperationalError:
                if not self._db.broken:
                    raise
                return self._connection().execute(sql, args).fetchall()

    # --- writing -----------------------------------------------------------------------------

    def write(self, documents: list[IndexedDocument]) -> None:
        s = self.schema
        rows, tokens = [], {}
        for doc in documents:
            for chunk, sentences in zip(doc.chunks, doc.sentences):
                stems = content_stems(f"{chunk.title} {chunk.text}")
                counts = Counter(t for s in stems for t in fts_tokens(s))
                length = sum(counts.values())
                counts.update(phrase_term(s) for s in stems if len(fts_tokens(s)) > 1)
                tokens[chunk.id] = counts, length
                rows.append((chunk.id, chunk.doc_id, chunk.story, chunk.start, date_number(chunk.date),
                             text_checksum(chunk.text), length, *sentences.to_bytes()))
        with self._writing() as cur:
            self._delete(cur, [d.doc_id for d in documents])
            if rows:
                arrays = ", ".join(f"%s::{t}[]" for t in _CHUNK_TYPES)
                ids = dict(cur.execute(f"INSERT INTO {s}.chunks({', '.join(_CHUNK_COLUMNS)}) SELECT * FROM "
                                       f"unnest({arrays}) RETURNING chunk_id, id", list(map(list, zip(*rows)))
                                       ).fetchall())
                with cur.copy(f"COPY {s}.postings(term, chunk, tf, length) FROM STDIN") as copy:
                    for chunk_id, (counts, length) in tokens.items():
                        for term, tf in counts.items():
                            copy.write_row((term, ids[chunk_id], tf, length))
            cur.executemany(f"INSERT INTO {s}.documents VALUES (%s, %s, %s, %s, %s)",
                            [(d.doc_id, d.content_hash, d.title, d.date, len(d.chunks)) for d in documents])

    def delete_document(self, doc_id: str) -> None:
        with self._writing() as cur:
            self._delete(cur, [doc_id])

    def reset(self) -> None:
        with self._writing() as cur:
            self._clear(cur)

    def _delete(self, cur, doc_ids: list[str]) -> None:
        s = self.schema
        cur.execute(f"DELETE FROM {s}.postings WHERE chunk IN (SELECT id FROM {s}.chunks WHERE doc_id = ANY(%s))",
                    (doc_ids,))
        cur.execute(f"DELETE FROM {s}.chunks WHERE doc_id = ANY(%s)", (doc_ids,))
        cur.execute(f"DELETE FROM {s}.documents WHERE doc_id = ANY(%s)", (doc_ids,))

    def _clear(self, cur) -> None:
        cur.execute(f"TRUNCATE {self.schema}.postings, {self.schema}.chunks, {self.schema}.documents, "
                    f"{self.schema}.meta")

    # --- reading -----------------------------------------------------------------------------

    def _search(self, stems, k, doc_ids, date_from, date_to):
        terms = list(dict.fromkeys(phrase_term(s) for s in stems))
        total, length = self._stats()
        n = max(total, 1)
        frequency = self._frequencies(terms)
        idfs = [max(math.log((n - frequency[t] + 0.5) / (frequency[t] + 0.5)), 1e-6)  # FTS5's idf and its floor
                for t in terms]
        where, args = [], {"terms": terms, "idfs": idfs, "avgdl": max(length / n, 1e-9), "k": k,
                           "k1": BM25_K1, "b": BM25_B}
        if doc_ids:
            where.append("c.doc_id = ANY(%(docs)s)")
            args["docs"] = list(doc_ids)
        if date_from is not None:
            where.append("c.date_int >= %(date_from)s")
            args["date_from"] = date_from
        if date_to is not None:
            where.append("c.date_int <= %(date_to)s")
            args["date_to"] = date_to
        s = self.schema
        # Scored from the postings alone (each carries its chunk's length, read from the index); the
        # chunks table is joined before scoring only when a filter needs it, else for the k winners.
        filtered = f"JOIN {s}.chunks c ON c.id = p.chunk WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(
            f"SELECT c.chunk_id, best.score FROM (SELECT p.chunk, sum(q.idf * p.tf * (%(k1)s + 1) / (p.tf + %(k1)s "
            f"* (1 - %(b)s + %(b)s * p.length / %(avgdl)s))) AS score FROM unnest(%(terms)s::text[], "
            f"%(idfs)s::float8[]) AS q(term, idf) JOIN {s}.postings p ON p.term = q.term {filtered} "
            f"GROUP BY p.chunk ORDER BY score DESC, p.chunk LIMIT %(k)s) best JOIN {s}.chunks c ON c.id = best.chunk "
            f"ORDER BY best.score DESC, c.chunk_id", args)
        return [(chunk_id, float(score)) for chunk_id, score in rows]

    def _stats(self) -> tuple[int, int]:
        """(chunks, their tokens in all): BM25's N and average length."""
        self._expire()
        if self._total is None or self._length is None:
            (total, length), = self._read(f"SELECT count(*), coalesce(sum(length), 0) FROM {self.schema}.chunks")
            self._total, self._length = int(total), int(length)
        return self._total, self._length

    def _forget(self) -> None:
        super()._forget()
        self._length = None

    def _count_chunks(self) -> int:
        return self._stats()[0]

    def _token_frequencies(self, tokens):
        return dict(self._read(f"SELECT term, count(*) FROM {self.schema}.postings WHERE term = ANY(%s) "
                               f"GROUP BY term", (tokens,)))

    def _sentence_rows(self, chunk_ids):
        return [(c, crc, bytes(spans), bytes(vectors)) for c, crc, spans, vectors in self._read(
            f"SELECT chunk_id, text_crc, spans, vectors FROM {self.schema}.chunks WHERE chunk_id = ANY(%s)",
            (chunk_ids,))]

    def document_hashes(self) -> dict[str, str]:
        return dict(self._read(f"SELECT doc_id, content_hash FROM {self.schema}.documents"))

    def documents(self) -> list[dict]:
        rows = self._read(f"SELECT doc_id, title, date, chunks FROM {self.schema}.documents "
                          f'ORDER BY doc_id COLLATE "C"')
        return [{"doc_id": d, "title": t, "date": date, "chunks": n} for d, t, date, n in rows]

    def opening_chunk_ids(self, per_story: bool = False, doc_ids: list[str] | None = None) -> list[str]:
        if doc_ids is not None and not doc_ids:
            return []
        group = 'doc_id COLLATE "C", story' if per_story else 'doc_id COLLATE "C"'
        where = "WHERE doc_id = ANY(%s) " if doc_ids is not None else ""
        rows = self._read(f"SELECT chunk_id FROM (SELECT DISTINCT ON ({group}) chunk_id, doc_id, story FROM "
                          f"{self.schema}.chunks {where}ORDER BY {group}, story, start) first "
                          f'ORDER BY doc_id COLLATE "C", story', (list(doc_ids),) if doc_ids is not None else ())
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
