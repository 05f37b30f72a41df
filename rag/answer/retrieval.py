"""Hybrid retrieval: dense (Chroma) and BM25 (the lexical index, SQLite FTS5) over the same chunks, fused
by reciprocal rank. Filters run inside both engines, so no call reads more than the hits.

``HybridRetriever.as_llama_index()`` is the same retriever as a LlamaIndex ``BaseRetriever``
(rag.answer.llama_retriever): its ``NodeWithScore`` objects carry the chunk's document id, title, date and
character span in their metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..index.lexical import LexicalIndex
from ..index.store import Chunk, ChunkStore
from ..settings import Settings
from ..text import content_stems

RRF_K = 60  # the constant of Cormack et al. (2009); large k flattens rank differences


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float  # fused RRF score
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    lexical: float  # BM25 score (0 when only dense found it)


def chroma_where(settings: Settings) -> dict | None:
    """The settings' document and date filters as a Chroma ``where`` clause."""
    clauses = []
    if settings.filter_doc_ids:
        clauses.append({"doc_id": {"$in": list(settings.filter_doc_ids)}})
    if settings.date_from:
        clauses.append({"date_int": {"$gte": int(settings.date_from.replace("-", ""))}})
    if settings.date_to:
        clauses.append({"date_int": {"$lte": int(settings.date_to.replace("-", ""))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def within_filters(doc_id: str, date: str | None, settings: Settings) -> bool:
    """Whether a document with this id and date is inside the settings' document and date filters."""
    if settings.filter_doc_ids and doc_id not in settings.filter_doc_ids:
        return False
    if (settings.date_from or settings.date_to) and not date:
        return False
    if settings.date_from and date < settings.date_from:
        return False
    if settings.date_to and date > settings.date_to:
        return False
    return True


class HybridRetriever:
    """Dense + BM25 retrieval with reciprocal rank fusion, honouring the settings' filters."""

    def __init__(self, settings: Settings, store: ChunkStore, embed_query, lexical: LexicalIndex):
        self.settings = settings
        self.store = store
        self.embed_query = embed_query
        self.lexical = lexical

    def search(self, question: str, top_k: int | None = None) -> list[ScoredChunk]:
        k = top_k or self.settings.top_k
        pool = max(k * 3, 10)
        where = chroma_where(self.settings)
        dense = self.store.query(self.embed_query(question), pool, where)
        lexical = self.lexical_hits(question, pool, dense) if self.settings.hybrid else []

        fused: dict[str, ScoredChunk] = {}
        for rank, (chunk, sim) in enumerate(dense):
            fused[chunk.id] = ScoredChunk(chunk, 1.0 / (RRF_K + rank + 1), sim, 0.0)
        for rank, (chunk, bm25) in enumerate(lexical):
            entry = fused.setdefault(chunk.id, ScoredChunk(chunk, 0.0, 0.0, 0.0))
            entry.score += 1.0 / (RRF_K + rank + 1)
            entry.lexical = bm25
        ranked = sorted(fused.values(), key=lambda s: -s.score)
        if self.settings.hybrid:
            return ranked[:k]
        return sorted(ranked, key=lambda s: -s.dense)[:k]

    def lexical_hits(self, question: str, k: int, dense: list[tuple[Chunk, float]]) -> list[tuple[Chunk, float]]:
        """The k best BM25 hits within the filters, as chunks (the ones dense search did not return are
        read from the store by id)."""
        s = self.settings
        found = self.lexical.search(
            content_stems(question), k, doc_ids=s.filter_doc_ids,
            date_from=int(s.date_from.replace("-", "")) if s.date_from else None,
            date_to=int(s.date_to.replace("-", "")) if s.date_to else None)
        known = {chunk.id: chunk for chunk, _ in dense}
        missing = [chunk_id for chunk_id, _ in found if chunk_id not in known]
        known.update((c.id, c) for c in self.store.get_chunks(missing))
        return [(known[chunk_id], score) for chunk_id, score in found if chunk_id in known]

    def as_llama_index(self):
        """This retriever as a LlamaIndex ``BaseRetriever``, for a LlamaIndex query engine or pipeline."""
        from .llama_retriever import LlamaIndexRetriever

        return LlamaIndexRetriever(self)
