"""Shared, session-scoped fixtures: one real index (real Chroma, real ONNX embeddings) per test run.

The bundled GGUF is assembled once into the project's .cache/ and reused, like a user's install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(command: list[str], port: int, seconds: float = 120, stop: int = signal.SIGTERM, **popen_kwargs):
    """Run a real server process, yield its loopback URL once it listens, stop it afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen_kwargs)
    try:
        wait_for_port(port, process, seconds)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(stop)
        process.wait(timeout=30)


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listened on port {port} within {seconds}s")


@pytest.fixture(scope="session")
def llama_server(assistant):
    """llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) with the bundled model, on loopback."""
    from rag.llm import bundled_gguf_path

    port = free_port()
    with serving([sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path(assistant.settings)),
                  "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "bundled"],
                 port) as url:
        yield f"{url}/v1"


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`, the CLI chromadb installs) on loopback with its own data folder."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    with serving([chroma, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")), "--host", "127.0.0.1",
                  "--port", str(port)], port, seconds=60) as url:
        yield url


def postgres_binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them off PATH, in /usr/lib/postgresql/N/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's postgresql package) on loopback, in a throwaway cluster."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    data = Path(tempfile.mkdtemp(prefix="rag-postgres-"))
    as_user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as Debian's postgres user
        shutil.chown(data, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
    subprocess.run([str(binaries / "initdb"), "-D", str(data / "cluster"), "-U", "rag", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, **as_user)
    port = free_port()
    # fsync off (-F) for a throwaway cluster; SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients).
    with serving([str(binaries / "postgres"), "-D", str(data / "cluster"), "-p", str(port), "-h", "127.0.0.1",
                  "-k", str(data), "-F"], port, seconds=60, stop=signal.SIGINT, **as_user):
        yield f"postgresql://rag@127.0.0.1:{port}/postgres"
    shutil.rmtree(data, ignore_errors=True)
