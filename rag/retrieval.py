"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused by reciprocal rank.

``HybridRetriever`` is a LlamaIndex ``BaseRetriever``: it returns ``NodeWithScore`` objects whose
node metadata carries the chunk's document id, title, date and character span.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from rank_bm25 import BM25Okapi

from .settings import Settings
from .store import Chunk, ChunkStore
from .text import content_stems

RRF_K = 60  # the constant of Cormack et al. (2009); large k flattens rank differences


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float  # fused RRF score
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    lexical: float  # BM25 score (0 when only dense found it)


class LexicalIndex:
    """BM25 over stemmed content words, plus the document frequencies the answer stage uses."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self.tokens = [content_stems(f"{c.title} {c.text}") for c in chunks]
        self.bm25 = BM25Okapi(self.tokens) if chunks else None
        self.doc_freq: Counter[str] = Counter()
        for toks in self.tokens:
            self.doc_freq.update(set(toks))
        # Every stem, and every part of a hyphenated one ("asia-pacific" -> asia, pacific).
        self.vocabulary: set[str] = set(self.doc_freq)
        for s in list(self.doc_freq):
            self.vocabulary.update(p for p in s.split("-") if p)

    def idf(self, stem: str) -> float:
        """Smoothed IDF; a word the corpus never uses gets the highest weight."""
        n = max(len(self.chunks), 1)
        return math.log((n + 1) / (self.doc_freq.get(stem, 0) + 0.5))

    def frequency(self, stem: str) -> float:
        """Share of the chunks that contain ``stem``."""
        return self.doc_freq.get(stem, 0) / max(len(self.chunks), 1)

    def search(self, question: str, allowed: set[str] | None, k: int) -> list[tuple[Chunk, float]]:
        if self.bm25 is None:
            return []
        scores = self.bm25.get_scores(content_stems(question))
        ranked = sorted(range(len(self.chunks)), key=lambda i: -scores[i])
        hits = [(self.chunks[i], float(scores[i])) for i in ranked if scores[i] > 0]
        if allowed is not None:
            hits = [h for h in hits if h[0].id in allowed]
        return hits[:k]


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


def passes_filters(chunk: Chunk, settings: Settings) -> bool:
    if settings.filter_doc_ids and chunk.doc_id not in settings.filter_doc_ids:
        return False
    if (settings.date_from or settings.date_to) and not chunk.date:
        return False
    if settings.date_from and chunk.date < settings.date_from:
        return False
    if settings.date_to and chunk.date > settings.date_to:
        return False
    return True


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval with reciprocal rank fusion, honouring the settings' filters."""

    def __init__(self, settings: Settings, store: ChunkStore, embed_query, lexical: LexicalIndex):
        super().__init__()
        self.settings = settings
        self.store = store
        self.embed_query = embed_query
        self.lexical = lexical

    def search(self, question: str, top_k: int | None = None) -> list[ScoredChunk]:
        k = top_k or self.settings.top_k
        pool = max(k * 3, 10)
        dense = self.store.query(self.embed_query(question), pool, chroma_where(self.settings))
        filtered = self.settings.filter_doc_ids or self.settings.date_from or self.settings.date_to
        # Only a filter needs the allowed set; building it walks every chunk (measured ~50 ms at 10^5 chunks).
        allowed = {c.id for c in self.lexical.chunks if passes_filters(c, self.settings)} if filtered else None
        lexical = self.lexical.search(question, allowed, pool) if self.settings.hybrid else []

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

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [
            NodeWithScore(
                node=TextNode(
                    id_=s.chunk.id, text=s.chunk.text,
                    metadata={"doc_id": s.chunk.doc_id, "title": s.chunk.title, "date": s.chunk.date,
                              "start": s.chunk.start, "end": s.chunk.end},
                    start_char_idx=s.chunk.start, end_char_idx=s.chunk.end,
                ),
                score=s.score,
            )
            for s in self.search(query_bundle.query_str)
        ]
