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
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen_kwargs)
    try:
        wait_for_port(port, process, seconds)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(stop)
        process.wait(timeout=30)


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
