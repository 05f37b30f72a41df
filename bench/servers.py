"""Real servers on loopback for the benchmark and the tests: ``chroma run`` and a throwaway PostgreSQL
cluster from Debian's packages. Each is a context manager yielding the URL clients connect to."""

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@contextlib.contextmanager
def serving(command: list[str], port: int, seconds: float = 120, stop: int = signal.SIGTERM, **popen_kwargs):
    """Run a real server process, yield its loopback URL once it listens, stop it afterwards."""
    with running(command, port, seconds, stop, **popen_kwargs) as (url, _):
        yield url


@contextlib.contextmanager
def running(command: list[str], port: int, seconds: float = 120, stop: int = signal.SIGTERM, **popen_kwargs):
    """``serving``, yielding (URL, the server's process)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen_kwargs)
    try:
        wait_for_port(port, process, seconds)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(stop)
        process.wait(timeout=30)


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def chroma_server(path: Path):
    """``chroma run`` (the CLI chromadb installs) with its data in ``path``."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    with serving([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)], port,
                 seconds=60) as url:
        yield url


def postgres_binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them off PATH, in /usr/lib/postgresql/N/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@contextlib.contextmanager
def postgres_server():
    """A PostgreSQL server in a throwaway cluster (deleted afterwards); its URL has user ``rag``, no password."""
    binaries = postgres_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="rag-postgres-"))
    as_user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as Debian's postgres user
        shutil.chown(data, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
    try:
        subprocess.run([str(binaries / "initdb"), "-D", str(data / "cluster"), "-U", "rag", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, **as_user)
        port = free_port()
        # fsync off (-F) for a throwaway cluster; SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients).
        with serving([str(binaries / "postgres"), "-D", str(data / "cluster"), "-p", str(port), "-h", "127.0.0.1",
                      "-k", str(data), "-F"], port, seconds=60, stop=signal.SIGINT, **as_user):
            yield f"postgresql://rag@127.0.0.1:{port}/postgres"
    finally:
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def llama_server(model: Path, alias: str = "bundled", context: int = 4096, threads: int | None = None):
    """llama.cpp's OpenAI-compatible server (``llama_cpp.server``, llama-cpp-python's) serving a GGUF; yields
    (its ``/v1`` URL, its process)."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(context), "--model_alias", alias]
    if threads:
        command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    with running(command, port) as (url, process):
        yield f"{url}/v1", process


@contextlib.contextmanager
def assistant_api(assistant, host: str = "127.0.0.1"):
    """The app's /v1 API (rag.serve.http_api) over ``assistant`` on a real uvicorn server in a thread; yields its
    ``/v1`` URL."""
    import threading

    import uvicorn
    from fastapi import FastAPI

    from rag.serve.http_api import add_openai_api

    server = FastAPI()
    add_openai_api(server, assistant)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(server, host=host, port=port, log_level="warning",
                                       forwarded_allow_ips=list(assistant.settings.trusted_proxies)))
    threading.Thread(target=uv.run, daemon=True).start()
    deadline = time.perf_counter() + 60
    while not uv.started and time.perf_counter() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://{host}:{port}/v1"
    finally:
        uv.should_exit = True


def ask_v1(url: str, question: str, key: str | None = None) -> float:
    """Seconds to a /v1 answer from the app at ``url``, waiting out 429s as the openai client does (their
    Retry-After counts)."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    started = time.perf_counter()
    for _ in range(120):
        reply = httpx.post(f"{url}/v1/chat/completions", headers=headers, timeout=600,
                           json={"messages": [{"role": "user", "content": question}]})
        if reply.status_code != 429:
            break
        time.sleep(float(reply.headers.get("Retry-After", "1")))
    reply.raise_for_status()
    return time.perf_counter() - started
