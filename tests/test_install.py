"""The package as a user installs it: ``pip install .`` with the lock as constraints, in a fresh venv,
then the ``rag`` command run from another directory (no checkout on its path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a new venv holding the package installed from the checkout, pinned by requirements.txt."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", "-c",
                           str(ROOT / "requirements.txt"), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv / "bin"


def test_pip_install_gives_a_rag_command_that_answers_from_any_directory(installed, tmp_path):
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": "", "XDG_CACHE_HOME": "",
           # the bundled model, installed once by the test set-up (rag install-model would fetch it again)
           "RAG_CACHE_DIR": str(ROOT / ".cache")}
    env = {k: v for k, v in env.items() if not (k.startswith("RAG_") and k != "RAG_CACHE_DIR")}
    env.pop("PYTHONPATH", None)

    where = subprocess.run([str(installed / "python"), "-c", "import rag, rag.paths as p; "
                            "print(rag.__file__, p.IN_CHECKOUT, p.PROMPTS)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where.split()[0] and " False " in where  # the installed copy, not the checkout
    assert "site-packages" in where

    done = subprocess.run([str(installed / "rag"), "ask", "--json", "Did China deny the freeze?"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert not answer["abstained"] and answer["citations"]
    assert answer["citations"][0]["file"].endswith(".txt")
    data = home / ".local" / "share" / "cited-rag"
    # the bundled articles were copied to the user's data folder (uploads land there, not in the package)
    assert len(list((data / "corpus").glob("*.txt"))) == 5
    assert (data / "index").is_dir()
    assert not list(elsewhere.iterdir())  # nothing written to the directory it was run from

    helped = subprocess.run([str(installed / "rag"), "--help"], cwd=elsewhere, env=env, capture_output=True,
                            text=True, check=True).stdout
    assert all(command in helped for command in ("ask", "index", "serve", "eval", "install-model"))
    checked = subprocess.run([str(installed / "rag"), "eval", "--help"], cwd=elsewhere, env=env,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "--sets" in checked.stdout

    port = free_port()  # the packaged web app serves its page and /v1 from any directory
    with serving([str(installed / "rag"), "serve", "--port", str(port)], port, seconds=180, cwd=elsewhere,
                 env=env) as url:
        assert httpx.get(url, timeout=60).status_code == 200
        models = httpx.get(f"{url}/v1/models", timeout=60).json()
        assert models["data"][0]["id"] == "rag-assistant"
