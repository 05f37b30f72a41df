"""The bundled encoder for real: chunk vectors, and sentence vectors pooled from the same pass."""

import numpy as np
import pytest

from rag.models.embedding import MiniLMOnnxEmbedding
from rag.index.ingest import embed_chunks, sentence_units
from rag.index.store import Chunk


@pytest.fixture(scope="module")
def encoder():
    return MiniLMOnnxEmbedding()


TEXT = "China and Russia signed a research deal. The moon station will open in 2030. Scientists praised it."


def test_a_texts_vector_does_not_change_when_its_spans_are_asked_for(encoder):
    alone = encoder.embed([TEXT])
    together, _ = encoder.embed_with_spans([TEXT], [sentence_units(TEXT)])
    assert np.allclose(alone, together, atol=1e-5)


def test_a_pooled_sentence_vector_points_where_the_sentence_alone_does(encoder):
    spans = sentence_units(TEXT)
    _, pooled = encoder.embed_with_spans([TEXT], [spans])
    alone = encoder.embed([TEXT[s:e] for s, e in spans])
    question = encoder.embed(["When will the moon station open?"])[0]
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in pooled[0])
    # measured 0.87, 0.91, 0.50: "Scientists praised it." takes its meaning from the sentences before it
    assert min(float(a @ b) for a, b in zip(alone, pooled[0])) > 0.4
    # the sentence that answers is still the one nearest the question
    assert int(np.argmax([question @ v for v in pooled[0]])) == 1


def test_a_span_past_the_models_window_gets_no_pooled_vector(encoder):
    long_text = "word " * 400 + "The last sentence is far away."
    start = long_text.index("The last")
    _, pooled = encoder.embed_with_spans([long_text], [[(0, 20), (start, len(long_text))]])
    assert pooled[0][0] is not None and pooled[0][1] is None


def _chunk(text, i=0):
    return Chunk(id=f"d#{i}", doc_id="d", text=text, title="", doc_title="", date=None, story=0, start=0,
                 end=len(text), content_hash="h")


def test_ingest_embeds_every_sentence_even_those_the_window_cut_off(encoder):
    filler = "This is filler text. " * 60  # 360 wordpieces: more than the model's window of 256
    chunks = [_chunk(TEXT), _chunk("Fig. 3", 1), _chunk(filler + "The last sentence is far away.", 2)]
    matrix, sentences = embed_chunks(encoder, chunks, lambda share: None)
    assert matrix.shape == (3, 384)
    assert [len(s.spans) for s in sentences] == [3, 0, 61]
    assert sentences[1].vectors.shape == (0, 384)  # a chunk without a sentence of three words
    last = sentences[2].vectors[-1]
    assert float(last @ encoder.embed(["The last sentence is far away."])[0]) > 0.99  # embedded on its own
