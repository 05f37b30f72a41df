"""The bundled encoder as a LlamaIndex ``BaseEmbedding``, for use inside LlamaIndex (query engines,
pipelines, ``VectorStoreIndex``); the retriever's face is ``rag.answer.llama_retriever``.

Imported on first use only (``rag.models.embedding.MiniLMOnnxEmbedding``): llama-index-core takes about a
second to import, the larger part of the assistant's start-up, and the answer path needs no LlamaIndex
interface.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .embedding import MODEL_NAME, MiniLMOnnxEncoder


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
