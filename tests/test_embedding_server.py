"""The encoder on a model server (RAG_EMBED_BASE_URL): the app's own /v1/embeddings on a real uvicorn server
serving the bundled encoder, used by other assistants as their encoder."""

import base64

import httpx
import numpy as np
import pytest
from openai import OpenAI

from bench import servers
from rag import Assistant
from rag.models.embedding import MODEL_NAME
from rag.models.embedding_server import ServerEncoder
from rag.errors import ModelUnavailable, RagError

TEXTS = ["China and Russia plan a research station on the moon.", "Zhao did not deny the charge."]


@pytest.fixture(scope="module")
def encoder_url(assistant):
    with servers.assistant_api(assistant) as url:
        yield url


def test_v1_embeddings_serves_the_bundled_encoder_as_openai_does(assistant, encoder_url):
    here = assistant.embed(TEXTS)
    client = OpenAI(base_url=encoder_url, api_key="none")
    as_floats = client.embeddings.create(model=MODEL_NAME, input=TEXTS, encoding_format="float")
    assert [d.index for d in as_floats.data] == [0, 1] and as_floats.model == MODEL_NAME
    assert np.allclose(np.array([d.embedding for d in as_floats.data]), here, atol=1e-6)
    default = client.embeddings.create(model=MODEL_NAME, input=TEXTS[0])  # the client asks for base64
    assert np.allclose(default.data[0].embedding, here[0], atol=1e-6)
    raw = httpx.post(f"{encoder_url}/embeddings", json={"input": TEXTS, "encoding_format": "base64"}).json()
    assert np.allclose(np.frombuffer(base64.b64decode(raw["data"][1]["embedding"]), "<f4"), here[1], atol=1e-6)
    assert MODEL_NAME in [m.id for m in client.models.list().data]


def test_v1_embeddings_refuses_bad_input_with_openai_errors(encoder_url):
    for body, param in (({"input": []}, "input"), ({"input": ["x"] * 2049}, "input"),
                        ({"input": "x", "model": "text-embedding-3-large"}, "model"),
                        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
                        ({"input": "x" * 1_000_001}, "input")):
        reply = httpx.post(f"{encoder_url}/embeddings", json=body, timeout=30)
        assert reply.status_code in (400, 404) and reply.json()["error"]["param"] == param, body


def test_an_assistant_whose_encoder_is_on_the_server_answers_from_the_same_index(assistant, encoder_url):
    """The session's index was built in-process; a replica with the encoder on the server opens it (the same
    model name) and, its question vectors being the same, answers as the in-process assistant does."""
    replica = Assistant(assistant.settings.replace(embed_base_url=encoder_url), judge=assistant.judge())
    assert isinstance(replica.embedder, ServerEncoder) and replica.embedder.dimension == 384
    question = "What did China supply to Russia for a particle accelerator?"
    here, there = assistant.ask(question), replica.ask(question)
    assert there.text == here.text and [c.quote for c in there.citations] == [c.quote for c in here.citations]


def test_an_index_built_through_the_server_answers_with_citations(assistant, encoder_url, corpus_dir, tmp_path):
    replica = Assistant(assistant.settings.replace(embed_base_url=encoder_url, index_dir=tmp_path / "index"),
                        judge=assistant.judge())
    report = replica.index()
    assert report.chunks == assistant.store.count()
    answer = replica.ask("Did China deny the freeze?")
    assert not answer.abstained and "000_2561fe39030d5e94" in {c.doc_id for c in answer.citations}


def test_another_model_on_the_server_is_refused_by_name(assistant, encoder_url):
    with pytest.raises(RagError, match="RAG_EMBED_MODEL|not served here"):
        Assistant(assistant.settings.replace(embed_base_url=encoder_url, embed_model="text-embedding-3-small"))


def test_an_unreachable_encoder_server_names_the_setting(settings, tmp_path):
    with pytest.raises(ModelUnavailable, match="RAG_EMBED_BASE_URL"):
        Assistant(settings.replace(embed_base_url="http://127.0.0.1:9/v1", index_dir=tmp_path / "i",
                                   request_timeout=3, model_retries=0))
