"""A stand-in encoder for the sizes where the real one would take hours on 2 cores.

Hashed words (feature hashing into 384 dimensions, L2-normalised): every stage but the encoder runs for
real, with vectors of the right shape and some lexical meaning. Dense retrieval quality measured with it
says nothing about the real model; speed and memory do.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIMENSION = 384


def _bucket(word: str) -> tuple[int, float]:
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % DIMENSION, 1.0 if value & (1 << 40) else -1.0


class StandInEncoder:
    """``embed(texts) -> (n, 384)`` unit vectors from hashed lower-cased words."""

    def __init__(self):
        self._cache: dict[str, tuple[int, float]] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                slot = self._cache.get(word)
                if slot is None:
                    slot = self._cache[word] = _bucket(word)
                out[row, slot[0]] += slot[1]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> tuple[np.ndarray, list[list[np.ndarray]]]:
        """As the real encoder's: the texts' vectors and their spans' (here: the spans' own words)."""
        pieces = [text[s:e] for text, found in zip(texts, spans) for s, e in found]
        vectors = iter(self.embed(pieces))
        return self.embed(texts), [[next(vectors) for _ in found] for found in spans]
