"""The hybrid retriever as a LlamaIndex ``BaseRetriever`` (``HybridRetriever.as_llama_index()``), for use
inside LlamaIndex query engines; each hit a ``NodeWithScore`` carrying the chunk's document id, title, date
and offsets. Imported on first use only: the answer path does not need it.
"""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .retrieval import HybridRetriever


class LlamaIndexRetriever(BaseRetriever):
    """A ``HybridRetriever`` as a LlamaIndex retriever: each hit a ``NodeWithScore`` (the fused score)."""

    def __init__(self, retriever: HybridRetriever):
        super().__init__()
        self.hybrid = retriever

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
            for s in self.hybrid.search(query_bundle.query_str)
        ]
