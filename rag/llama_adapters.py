"""LlamaIndex faces of the assistant's components, for use inside LlamaIndex (query engines, pipelines,
``VectorStoreIndex``): the bundled encoder as a ``BaseEmbedding``, the hybrid retriever as a
``BaseRetriever``.

Imported on first use only (``rag.embedding.MiniLMOnnxEmbedding``, ``HybridRetriever.as_llama_index()``):
llama-index-core takes about a second to import, the larger part of the assistant's start-up, and the
answer path needs neither interface.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import PrivateAttr

from .embedding import MODEL_NAME, MiniLMOnnxEncoder
from .retrieval import HybridRetriever


class MiniLMOnnxEmbedding(BaseEmbedding):
    """The bundled all-MiniLM-L6-v2 int8 encoder behind LlamaIndex's embedding interface."""

    model_name: str = MODEL_NAME
    embed_batch_size: int = MiniLMOnnxEncoder.embed_batch_size
    _encoder: Any = PrivateAttr(default_factory=MiniLMOnnxEncoder)

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    def embed(self, texts: list[str]):
        return self._encoder.embed(texts)

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        return self._encoder.embed_with_spans(texts, spans)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.embed([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


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
