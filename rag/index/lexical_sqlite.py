"""The default lexical engine: SQLite FTS5 in one file beside the vectors
(``<index_dir>/<collection>.lexical.sqlite3``), shared by the app processes of one machine.

Why (measured, see docs/benchmarks.md): FTS5 ships in Python's standard library, ranks with ``bm25()``
and updates in place. rank-bm25 held every chunk's tokens in memory and was rebuilt from scratch after
each change; Chroma's own sparse index is refused by local and single-node Chroma 1.5 ("Sparse vector
indexing is not enabled in local"). Sentence vectors sit here rather than in a second Chroma
collection: nobody searches them by similarity, and a collection would build (and load into memory) an
HNSW graph over every sentence.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

from ..text import content_stems
from .lexical import SCHEMA_VERSION, IndexedDocument, LexicalIndex, date_number, text_checksum

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


def lexical_path(index_dir: Path, collection: str, chroma_url: str | None = None) -> Path:
    """Where the lexical index of a collection lives: in ``index_dir``, named after the collection (and
    the Chroma server holding its vectors, so an embedded index and a served one never share a file)."""
    server = "@" + re.sub(r"[^A-Za-z0-9.]+", "_", chroma_url.split("//")[-1]).strip("_") if chroma_url else ""
    return Path(index_dir) / f"{collection}{server}.lexical.sqlite3"


def match_expression(stems: list[str]) -> str | None:
    """An FTS5 query matching any of ``stems`` (each quoted: a stem is data, never query syntax)."""
    terms = [s for s in dict.fromkeys(stems) if re.search(r"\w", s)]
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) or None


class SqliteLexicalIndex(LexicalIndex):
    """The lexical index in one SQLite file (FTS5 for BM25)."""

    def __init__(self, path: str | Path = ":memory:", embed_model: str = ""):
        """Open (or create) the index at ``path``; ``":memory:"`` gives a throwaway one (tests)."""
        super().__init__()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the app's threads, each statement under the lock: lookups take
        # well under a millisecond, and other processes (a CLI ingest) still read and write via WAL.
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            if self._meta("schema") != str(SCHEMA_VERSION) or (embed_model and self._meta("embed_model")
                                                                not in (None, embed_model)):
                self._clear()  # another layout or other vectors: rebuilt by the next ingest
            self._set_meta(schema=str(SCHEMA_VERSION), **({"embed_model": embed_model} if embed_model else {}))

    # --- writing -----------------------------------------------------------------------------

    def write(self, documents: list[IndexedDocument]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for doc in documents:
                    self._delete(doc.doc_id)
                    for chunk, sentences in zip(doc.chunks, doc.sentences):
                        row = self._db.execute(
                            "INSERT INTO chunks(chunk_id, doc_id, story, start, date_int, text_crc, spans, vectors)"
                            " VALUES (?,?,?,?,?,?,?,?)",
                            (chunk.id, chunk.doc_id, chunk.story, chunk.start, date_number(chunk.date),
                             text_checksum(chunk.text), *sentences.to_bytes()),
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
        with self._lock:
            self._clear()

    def _delete(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM words WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,))
        self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def _clear(self) -> None:
        self._db.executescript("DELETE FROM words; DELETE FROM chunks; DELETE FROM documents; DELETE FROM meta;")
        self._forget()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, **values: str) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    # --- reading -----------------------------------------------------------------------------

    def _search(self, stems, k, doc_ids, date_from, date_to):
        sql = ("SELECT c.chunk_id, -bm25(words) AS score FROM words JOIN chunks c ON c.id = words.rowid "
               "WHERE words MATCH ?")
        args: list = [match_expression(stems)]
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

    def _count_chunks(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def _token_frequencies(self, tokens):
        with self._lock:
            return dict(self._db.execute(f"SELECT term, doc FROM words_vocab WHERE term IN "
                                         f"({','.join('?' * len(tokens))})", tokens).fetchall())

    def _sentence_rows(self, chunk_ids):
        with self._lock:
            return self._db.execute(f"SELECT chunk_id, text_crc, spans, vectors FROM chunks WHERE chunk_id IN "
                                    f"({','.join('?' * len(chunk_ids))})", chunk_ids).fetchall()

    def document_hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def documents(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT doc_id, title, date, chunks FROM documents ORDER BY doc_id").fetchall()
        return [{"doc_id": d, "title": t, "date": date, "chunks": n} for d, t, date, n in rows]

    def opening_chunk_ids(self, per_story: bool = False, doc_ids: list[str] | None = None) -> list[str]:
        if doc_ids is not None and not doc_ids:
            return []
        group = "doc_id, story" if per_story else "doc_id"
        where, args = "", []
        if doc_ids is not None:
            where, args = f"WHERE doc_id IN ({','.join('?' * len(doc_ids))})", list(doc_ids)
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk_id FROM chunks WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER "
                f"(PARTITION BY {group} ORDER BY story, start) AS n FROM chunks {where}) WHERE n = 1) "
                f"ORDER BY doc_id, story", args).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
