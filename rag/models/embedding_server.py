"""The encoder on a model server: any OpenAI-compatible ``/v1/embeddings`` (another app's ``rag serve``, which
serves the bundled encoder; Hugging Face TEI, vLLM, llama.cpp with an embedding GGUF; OpenAI), so app
replicas share one encoder instead of each running its own.

    RAG_EMBED_BASE_URL=http://models:8000/v1  [RAG_EMBED_MODEL=all-MiniLM-L6-v2-onnx-int8]  [RAG_EMBED_API_KEY=...]

The model's name is recorded in the index, as the bundled encoder's is: an index built by the bundled encoder
in-process is used as it is by replicas whose encoder is the bundled one served by ``rag serve`` (the same
vectors), and refused, with the command that rebuilds it, under any other model.

One difference from in-process: a server embeds texts, not spans of a text, so a chunk's sentences are
embedded each on its own rather than read from the chunk's own pass (``MiniLMOnnxEncoder.embed_with_spans``).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelUnavailable, model_server_error
from ..settings import Settings
from ..text import reflow
from .embedding import MODEL_NAME


class ServerEncoder:
    """An ``rag.models.embedding.Encoder`` whose vectors come from ``RAG_EMBED_BASE_URL``."""

    embed_batch_size = 64  # texts per request: one request per ingest slice (rag.index.ingest.EMBED_SLICE)

    def __init__(self, settings: Settings):
        from openai import OpenAI

        if not settings.embed_base_url:
            raise ModelUnavailable("the encoder on a server needs RAG_EMBED_BASE_URL")
        self.settings = settings
        self.model_name = settings.embed_model or MODEL_NAME
        self.client = OpenAI(base_url=settings.embed_base_url, api_key=settings.embed_api_key or "not-needed",
                             timeout=settings.request_timeout, max_retries=settings.model_retries)
        self._dimension: int | None = None

    def close(self) -> None:
        self.client.close()

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension"]).shape[1])
        return self._dimension

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        rows = []
        for at in range(0, len(texts), self.embed_batch_size):
            rows.extend(self._request(texts[at : at + self.embed_batch_size]))
        matrix = np.asarray(rows, dtype=np.float32)
        return matrix / np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Vectors of ``texts`` and of each span's text embedded on its own, in the same requests."""
        pieces = [reflow(text[start:end]) for text, own in zip(texts, spans) for start, end in own]
        matrix = self.embed(list(texts) + pieces)
        rest = iter(matrix[len(texts):])
        return matrix[: len(texts)], [[next(rest) for _ in own] for own in spans]

    def _request(self, texts: list[str]) -> list[list[float]]:
        import openai

        try:
            reply = self.client.embeddings.create(model=self.model_name, input=texts)
        except openai.APIError as exc:
            raise model_server_error(exc, "the encoder's", self.settings.embed_base_url, "RAG_EMBED_BASE_URL",
                                     self.model_name, "RAG_EMBED_MODEL", self.settings.request_timeout) from exc
        data = sorted(reply.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise ModelUnavailable(f"the encoder's model server at {self.settings.embed_base_url} returned "
                                   f"{len(data)} vectors for {len(texts)} texts")
        return [d.embedding for d in data]


def load_encoder(settings: Settings):
    """The encoder the settings name: on a server (``RAG_EMBED_BASE_URL``), else the bundled one in-process."""
    if settings.embed_base_url:
        return ServerEncoder(settings)
    from .embedding import MiniLMOnnxEncoder

    return MiniLMOnnxEncoder()
