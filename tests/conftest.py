"""Shared, session-scoped fixtures: one real index (real Chroma, real ONNX embeddings) per test run.

The bundled GGUF is assembled once into the project's .cache/ and reused, like a user's install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import servers
from bench.servers import free_port, postgres_binaries, serving  # noqa: F401 (tests import them from here)
from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def settings(corpus_dir, tmp_path_factory) -> Settings:
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path_factory.mktemp("index"), cache_dir=ROOT / ".cache")


@pytest.fixture(scope="session")
def assistant(settings) -> Assistant:
    a = Assistant(settings)
    a.engine()  # builds the index
    return a


@pytest.fixture(scope="session")
def llama_server(assistant):
    """llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) with the bundled model, on loopback."""
    from rag.models.llm import bundled_gguf_path

    with servers.llama_server(bundled_gguf_path(assistant.settings)) as (url, _):
        yield url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`, the CLI chromadb installs) on loopback with its own data folder."""
    with servers.chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's postgresql package) on loopback, in a throwaway cluster."""
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    with servers.postgres_server() as url:
        yield url
