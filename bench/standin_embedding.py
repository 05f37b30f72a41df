"""The stand-in encoder behind LlamaIndex's embedding interface, for the peer (a module of its own:
llama-index-core takes about a second to import, which the assistant's start-up does not pay)."""

from __future__ import annotations

from llama_index.core.base.embeddings.base import BaseEmbedding

from bench.standin import StandInEncoder


class StandInEmbedding(BaseEmbedding):
    """The same encoder behind LlamaIndex's embedding interface (for the peer)."""

    model_name: str = "stand-in-hashed-words"

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        return StandInEncoder().embed(texts).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vectors([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vectors([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._vectors(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
