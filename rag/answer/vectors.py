"""Unit vectors: what the rank stage compares with the question's vector.

A sentence's vector was stored at ingest (pooled from its chunk's encoder pass, see rag.index.ingest); it is
looked up by the sentence's span in its document, so a passage widened from its neighbours (rag.answer.widen)
finds theirs too. Anything else (a sentence with the list it introduces, an index built before
sentence vectors were kept) is embedded at question time and kept in a bounded LRU cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from ..index.lexical import LexicalIndex
from ..index.store import Chunk
from ..text import reflow
from .units import Evidence

SENTENCE_CACHE = 20_000  # vectors embedded at question time kept between questions (384 floats each: ~30 MB)


class UnitVectors:
    """Unit text -> vector, from the lexical index's stored sentence vectors or the encoder."""

    def __init__(self, lexical: LexicalIndex, embed: Callable[[list[str]], np.ndarray],
                 cache_size: int = SENTENCE_CACHE):
        self.lexical, self.embed, self.cache_size = lexical, embed, cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app answers several users at once

    def __call__(self, units: list[Evidence], passages: list[Chunk],
                 context: list[Chunk] | None = None) -> dict[str, np.ndarray]:
        """Vectors of ``units`` (of ``passages``); ``context``: the chunks whose stored vectors apply
        (the passages themselves by default)."""
        context = passages if context is None else context
        stored = self.lexical.sentence_vectors(list({c.id: c for c in context}.values()))
        by_span = {(c.doc_id, c.start + s, c.start + e): v for c in context if c.id in stored
                   for (s, e), v in stored[c.id].lookup().items()}
        vectors: dict[str, np.ndarray] = {}
        for u in units:
            passage = passages[u.passage - 1]
            vector = by_span.get((passage.doc_id, passage.start + u.start, passage.start + u.end))
            if vector is not None:
                vectors[u.text] = vector
        missing = [u.text for u in units if u.text not in vectors]
        vectors.update(zip(missing, self.embedded([reflow(t) for t in missing])))
        return vectors

    def embedded(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors of ``texts`` from the cache, embedding those it lacks in one call."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embed(missing)))
            with self._lock:
                self._cache.update((t, found[t]) for t in missing)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return [found[t] for t in texts]
