"""Unit vectors: stored sentence vectors found by their span in the document (also from a widened
passage), the rest embedded once and cached within a bound."""

import numpy as np

from rag.answer.units import Evidence
from rag.index.lexical import IndexedDocument, SentenceVectors
from rag.index.lexical_sqlite import SqliteLexicalIndex
from rag.index.store import Chunk
from rag.answer.vectors import UnitVectors

TEXT = "First sentence here. Second sentence there. Third sentence everywhere."


def chunk(n: int, start: int, end: int) -> Chunk:
    return Chunk(f"d:0:{n}", "d", TEXT[start:end], "", "D", None, 0, start, end, "h")


class CountingEncoder:
    def __init__(self):
        self.texts: list[str] = []

    def __call__(self, texts):
        self.texts += texts
        return np.ones((len(texts), 4), np.float32)


def stored_index(chunks: list[Chunk]) -> SqliteLexicalIndex:
    index = SqliteLexicalIndex()
    sentences = []
    for n, c in enumerate(chunks):  # each chunk's first sentence has a stored vector: [n+1, 0, 0, 0]
        first = c.text.index(".") + 1
        sentences.append(SentenceVectors(np.array([[0, first]], np.int32), np.eye(1, 4, 0, np.float32) * (n + 1)))
    index.write([IndexedDocument("d", "h", "D", None, chunks, sentences)])
    return index


def test_a_widened_passage_finds_its_neighbours_stored_vectors_by_document_span():
    first, second = chunk(0, 0, 21), chunk(1, 21, len(TEXT))
    encoder = CountingEncoder()
    vectors = UnitVectors(stored_index([first, second]), encoder)
    widened = chunk(0, 0, len(TEXT))  # chunk 0 grown over chunk 1
    spans = [(0, 20), (21, 43), (44, len(TEXT))]  # the three sentences, in the widened passage
    units = [Evidence(1, s, e, TEXT[s:e], "", n) for n, (s, e) in enumerate(spans)]
    found = vectors(units, [widened], [first, second])
    assert found[units[0].text][0] == 1.0 and found[units[1].text][0] == 2.0  # stored, from both chunks
    assert encoder.texts == ["Third sentence everywhere."]  # only the one nobody stored


def test_embedded_vectors_are_cached_and_the_cache_is_bounded():
    encoder = CountingEncoder()
    vectors = UnitVectors(SqliteLexicalIndex(), encoder, cache_size=2)
    vectors.embedded(["a", "b"])
    vectors.embedded(["a", "b", "a"])
    assert encoder.texts == ["a", "b"]
    vectors.embedded(["c"])  # evicts "a", the least recently used
    vectors.embedded(["a"])
    assert encoder.texts == ["a", "b", "c", "a"]
