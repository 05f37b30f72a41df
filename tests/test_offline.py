"""With the network unreachable: tiktoken, the embedding model, and a whole CLI answer still work."""

import json
import os
import shutil
import subprocess
import sys
import textwrap


from .conftest import ROOT

# A socket guard for machines where `unshare -n` is not allowed: any non-local connect fails.
_GUARD = textwrap.dedent('''
    import socket
    _connect = socket.socket.connect
    def _refuse(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return _connect(self, address)
        raise OSError(101, "Network is unreachable (blocked by the offline test)")
    socket.socket.connect = _refuse
''')


def run_offline(code_or_args: list[str], tmp_path, env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "NLTK_DATA")}
    env.update(env_extra or {})
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir(exist_ok=True)
    (guard_dir / "sitecustomize.py").write_text(_GUARD)
    env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), str(ROOT)])
    cmd = [sys.executable, *code_or_args]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-n", *cmd]  # a real network namespace with no interfaces but loopback
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)


def test_tiktoken_and_embeddings_load_without_network(tmp_path):
    result = run_offline(["-c", textwrap.dedent('''
        import urllib.request
        try:
            urllib.request.urlopen("https://openaipublic.blob.core.windows.net", timeout=5)
            raise SystemExit("network reachable: the test proves nothing")
        except OSError:
            pass
        from rag.tokens import count_tokens
        from rag.models.embedding import MiniLMOnnxEmbedding
        print(count_tokens("Did China deny the freeze?"))
        print(MiniLMOnnxEmbedding().embed(["hello"]).shape)
    ''')], tmp_path)
    assert result.returncode == 0, result.stderr
    tokens, shape = result.stdout.split("\n")[:2]
    assert int(tokens) == 6  # cl100k_base, from the cache llama-index-core ships
    assert shape == "(1, 384)"


def test_cli_answers_with_the_network_unreachable(tmp_path, settings):
    result = run_offline(
        ["-m", "rag", "ask", "--json", "--index-dir", str(tmp_path / "index"), "--corpus", str(settings.corpus_dir),
         "Did China deny the freeze?"],
        tmp_path, {"RAG_CACHE_DIR": str(settings.cache_dir)},
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert not answer["abstained"]
    assert any(c["doc_id"] == "000_2561fe39030d5e94" for c in answer["citations"])
