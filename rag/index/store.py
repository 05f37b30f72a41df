"""The chunk store: one Chroma collection, embedded (``PersistentClient`` in ``index/``) or a Chroma server.

The collection's metadata records the embedding model and its dimension; opening it with another model is
refused, so vectors of two models never mix in one index."""

from __future__ import annotations

import bisect
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

from ..errors import IndexMismatch, StoreUnavailable
from ..settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Rows per Chroma read. SQLite refuses a query with more than 32,766 variables, so a whole-collection
# get() fails past ~32k chunks: every read is paged, and no call grows with the collection.
READ_PAGE = 5000


@dataclass(frozen=True)
class Chunk:
    """A piece of a document with its exact character span in the document's text."""

    id: str
    doc_id: str
    text: str
    title: str  # the story's title (the article's, or one story of a tag page)
    doc_title: str
    date: str | None
    story: int
    start: int
    end: int
    content_hash: str  # hash of the whole document, for incremental re-indexing
    file: str = ""  # the document's file name in the corpus folder ("manual.pdf", "guides/setup.md")
    # Where the chunk lies in its document's layout: (document offset, page number) of the page the chunk
    # starts on and of each page starting inside it (PDFs); (offset, heading) likewise for the sections.
    page_marks: tuple[tuple[int, int], ...] = ()
    section_marks: tuple[tuple[int, str], ...] = ()
    screen: ScreenVerdict | None = None  # the injection screen's verdicts, once read (rag.index.screening)

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) holding document offset ``offset`` of this chunk, for paged documents."""
        return _mark_at(self.page_marks, offset)

    def section_at(self, offset: int) -> str | None:
        """The heading of the section holding document offset ``offset``, where the document has headings."""
        return _mark_at(self.section_marks, offset)

    def to_metadata(self) -> dict[str, Any]:
        meta = {k: v for k, v in asdict(self).items()
                if k not in ("id", "text", "page_marks", "section_marks", "screen") and v is not None and v != ""}
        if self.date:
            meta["date_int"] = int(self.date.replace("-", ""))
        # Chroma metadata values are scalars: the layout marks travel as JSON text.
        if self.page_marks:
            meta["page_marks"] = json.dumps(self.page_marks)
        if self.section_marks:
            meta["section_marks"] = json.dumps(self.section_marks, ensure_ascii=False)
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> "Chunk":
        return cls(
            id=chunk_id, doc_id=meta["doc_id"], text=text, title=meta.get("title", ""),
            doc_title=meta.get("doc_title", ""), date=meta.get("date"), story=int(meta.get("story", 0)),
            start=int(meta["start"]), end=int(meta["end"]), content_hash=meta.get("content_hash", ""),
            file=meta.get("file", ""), page_marks=_marks(meta.get("page_marks"), int),
            section_marks=_marks(meta.get("section_marks"), str), screen=ScreenVerdict.from_json(meta.get("screen")),
        )


@dataclass(frozen=True)
class ScreenVerdict:
    """What the injection screen read of a chunk: the reading's tag (judge model, prompt, probe) and, per piece
    (chunk offsets), P(an order to an AI)."""

    reading: str
    pieces: tuple[tuple[int, int, float], ...]

    def flagged(self, threshold: float) -> list[tuple[int, int, float]]:
        return [piece for piece in self.pieces if piece[2] >= threshold]

    def to_json(self) -> str:
        return json.dumps({"reading": self.reading, "pieces": self.pieces})

    @classmethod
    def from_json(cls, raw: str | None) -> ScreenVerdict | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(data["reading"], tuple((int(s), int(e), float(p)) for s, e, p in data["pieces"]))


def _marks(raw: str | None, kind: type) -> tuple:
    if not raw:
        return ()
    try:
        return tuple((int(offset), kind(value)) for offset, value in json.loads(raw))
    except (ValueError, TypeError):  # written by another version: no layout rather than no chunk
        return ()


def _mark_at(marks: tuple, offset: int):
    at = bisect.bisect_right([m[0] for m in marks], offset) - 1
    return marks[at][1] if at >= 0 else None


def chroma_client(settings: Settings):
    """A Chroma client for the settings: a server when ``chroma_url`` is set, else embedded on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "//" in settings.chroma_url else "http://" + settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); "
                "check RAG_CHROMA_URL or unset it to use the embedded index"
            ) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


class ChunkStore:
    """Chunks, their vectors and their metadata in one Chroma collection."""

    def __init__(self, settings: Settings, embed_model: str, dimension: int):
        self.settings = settings
        self.embed_model = embed_model
        self.dimension = dimension
        self.client = chroma_client(settings)
        self.collection = self._open_collection()

    def _open_collection(self):
        expected = {"embed_model": self.embed_model, "embed_dim": self.dimension, "schema": SCHEMA_VERSION}
        existing = {c.name if hasattr(c, "name") else c for c in self.client.list_collections()}
        if self.settings.collection in existing:
            collection = self.client.get_collection(self.settings.collection, embedding_function=None)
            meta = collection.metadata or {}
            for key, want in expected.items():
                if meta.get(key) != want:
                    where = self.settings.chroma_url or self.settings.index_dir
                    raise IndexMismatch(
                        f"the index at {where} (collection {self.settings.collection!r}) was built with "
                        f"{key}={meta.get(key)!r}, but this setup uses {key}={want!r}. Vectors of different "
                        "models cannot be mixed: rebuild it with `python -m rag index --rebuild` "
                        "(or choose another RAG_INDEX_DIR / RAG_COLLECTION)."
                    )
            return collection
        return self.client.create_collection(
            self.settings.collection,
            embedding_function=None,
            metadata={**expected, "hnsw:space": "cosine", "complete": False},
        )

    def close(self) -> None:  # the embedded index's files are let go once no other client of theirs is open
        self.client.close()

    # --- state -------------------------------------------------------------------------------

    def count(self) -> int:
        return self.collection.count()

    def is_complete(self) -> bool:
        """False while an ingest is running or after one was interrupted."""
        return bool((self.collection.metadata or {}).get("complete", False))

    def mark_complete(self, complete: bool) -> None:
        self._set_metadata(complete=complete)

    def corpus_folder(self) -> str | None:
        """The corpus folder the index was last built from (None for an index built before this was kept)."""
        return (self.collection.metadata or {}).get("corpus_dir")

    def record_corpus_folder(self, folder: str) -> None:
        self._set_metadata(corpus_dir=folder)

    def _set_metadata(self, **values) -> None:
        # Chroma refuses to modify the hnsw:* keys, so they are left out of what is written back.
        meta = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        self.collection.modify(metadata={**meta, **values})

    def document_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every indexed document; "" for a document whose chunks are not all
        there under one hash (a write that was killed midway), so the next ingest writes it again."""
        hashes: dict[str, set[str]] = {}
        counts: dict[str, int] = {}
        expected: dict[str, int] = {}
        for _, _, m in self._pages(include=["metadatas"]):
            doc_id = m["doc_id"]
            hashes.setdefault(doc_id, set()).add(m.get("content_hash", ""))
            counts[doc_id] = counts.get(doc_id, 0) + 1
            if "doc_chunks" in m:
                expected[doc_id] = int(m["doc_chunks"])
        return {doc_id: next(iter(found)) if len(found) == 1 and counts[doc_id] == expected.get(doc_id, counts[doc_id])
                else "" for doc_id, found in hashes.items()}

    def _pages(self, include: list[str], where: dict | None = None):
        """(id, document, metadata) of every matching record, read READ_PAGE at a time."""
        offset = 0
        while True:
            page = self.collection.get(where=where, include=include, limit=READ_PAGE, offset=offset)
            ids = page["ids"]
            docs = page.get("documents") or [None] * len(ids)
            metas = page.get("metadatas") or [None] * len(ids)
            yield from zip(ids, docs, metas)
            if len(ids) < READ_PAGE:
                return
            offset += READ_PAGE

    # --- writing -----------------------------------------------------------------------------

    def replace_document(self, doc_id: str, chunks: list[Chunk], embeddings) -> None:
        """Swap a document's chunks: new ones are written first, then the stale ones removed."""
        self.write_documents([(doc_id, chunks, embeddings)], replacing={doc_id})

    def write_documents(self, documents: list[tuple[str, list[Chunk], Any]], replacing: set[str] = frozenset()) -> None:
        """Write the chunks of several documents in as few calls as Chroma's batch limit allows. For the
        documents in ``replacing`` (indexed before), the chunks they no longer have are removed after."""
        old_ids = {i for doc_id in replacing for i, _, _ in self._pages(include=[], where={"doc_id": doc_id})}
        # "screen": "" drops the verdicts of a chunk written again (Chroma merges an upsert's metadata).
        records = [({**c.to_metadata(), "doc_chunks": len(chunks), "screen": ""}, c, vector)
                   for _, chunks, vectors in documents for c, vector in zip(chunks, vectors)]
        batch = self.max_batch()  # Chroma refuses a bigger write ("batch size 31334 > 5461")
        for at in range(0, len(records), batch):
            part = records[at : at + batch]
            self.collection.upsert(
                ids=[c.id for _, c, _ in part], documents=[c.text for _, c, _ in part],
                metadatas=[m for m, _, _ in part], embeddings=[v for _, _, v in part],
            )
        stale = sorted(old_ids - {c.id for _, c, _ in records})
        for at in range(0, len(stale), batch):
            self.collection.delete(ids=stale[at : at + batch])

    def max_batch(self) -> int:
        """The most records one Chroma write may carry (the client reports it; 5461 embedded here)."""
        try:
            return max(1, int(self.client.get_max_batch_size()))
        except Exception:  # an older server without the endpoint
            return 1000

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def reset(self) -> None:
        """Drop the collection and start an empty one (a rebuild)."""
        self.client.delete_collection(self.settings.collection)
        self.collection = self._open_collection()

    def record_screens(self, verdicts: list[tuple[Chunk, ScreenVerdict]]) -> None:
        """Keep the injection screen's verdicts with their chunks (written again: the verdicts are dropped)."""
        for at in range(0, len(verdicts), self.max_batch()):
            part = verdicts[at : at + self.max_batch()]
            self.collection.update(ids=[c.id for c, _ in part], metadatas=[{"screen": v.to_json()} for _, v in part])

    # --- reading -----------------------------------------------------------------------------

    def unscreened_ids(self, reading: str) -> list[str]:
        """The chunks the injection screen has not read under ``reading``, in document order."""
        todo = [(m["doc_id"], int(m["start"]), i) for i, _, m in self._pages(include=["metadatas"])
                if (v := ScreenVerdict.from_json(m.get("screen"))) is None or v.reading != reading]
        return [i for _, _, i in sorted(todo)]

    def all_chunks(self) -> list[Chunk]:
        chunks = [Chunk.from_record(i, d, m) for i, d, m in self._pages(include=["documents", "metadatas"])]
        return sorted(chunks, key=lambda c: (c.doc_id, c.start))

    def get_chunks(self, ids: list[str]) -> list[Chunk]:
        """The chunks with these ids (those still there), read a page at a time."""
        found: list[Chunk] = []
        for at in range(0, len(ids), READ_PAGE):
            page = self.collection.get(ids=ids[at : at + READ_PAGE], include=["documents", "metadatas"])
            found += [Chunk.from_record(i, d, m) for i, d, m in zip(page["ids"], page["documents"], page["metadatas"])]
        return found

    def query(self, embedding: list[float], k: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity (fewer when the collection holds fewer; Chroma
        1.x caps ``n_results`` itself, so no per-query ``count()`` round trip)."""
        result = self.collection.query(
            query_embeddings=[embedding], n_results=k, where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (Chunk.from_record(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]
            )
        ]
