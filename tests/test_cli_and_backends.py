"""The command line, the --json contract, and the OpenAI-compatible backend against a real server."""

import json
import subprocess
import sys

import pytest

from rag import Assistant, Settings, SettingsError
from rag.errors import ModelUnavailable

from .conftest import ROOT


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, env=env)


def test_ask_json_prints_exactly_the_public_shape(settings):
    result = cli("ask", "--json", "--index-dir", str(settings.index_dir), "--corpus", str(settings.corpus_dir),
                 "Who is Alexander Sergeev?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"text", "citations", "abstained"}
    assert answer["abstained"] is False
    assert "President of the Russian Academy of Sciences".lower() in answer["text"].lower()
    for c in answer["citations"]:
        assert set(c) == {"marker", "doc_id", "title", "date", "quote", "score", "file", "page", "section"}


def test_ask_plain_prints_answer_and_quotes(settings):
    result = cli("ask", "--index-dir", str(settings.index_dir), "--corpus", str(settings.corpus_dir),
                 "What did China supply to Russia for a particle accelerator?")
    assert result.returncode == 0, result.stderr
    assert "superconducting cables" in result.stdout
    assert "001_2082d504f351398b" in result.stdout


def test_empty_question_exits_2_with_a_message(settings):
    result = cli("ask", "--index-dir", str(settings.index_dir), "   ")
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_index_command_on_another_folder(tmp_path):
    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Ice\n\nThe glacier lost 3 metres in 2021.\n")
    (corpus / "b.bin.txt").write_bytes(b"\x00" * 10)
    result = cli("index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout and "skipped" in result.stdout


def test_settings_are_validated_with_the_variable_name():
    with pytest.raises(SettingsError, match="RAG_BASE_URL"):
        Settings(backend="openai-compatible")
    with pytest.raises(SettingsError, match="RAG_TOP_K"):
        Settings.from_env({"RAG_TOP_K": "0"})
    assert Settings.from_env({"RAG_TOP_K": "6", "RAG_HYBRID": "false"}).top_k == 6
    # a switch takes true/false (1/0, yes/no, on/off); a typo is refused, not read as "off"
    assert Settings.from_env({"RAG_FAST": "On"}).fast and not Settings.from_env({"RAG_FAST": "no"}).fast
    with pytest.raises(SettingsError, match="RAG_FAST='ture' is not true or false"):
        Settings.from_env({"RAG_FAST": "ture"})
    with pytest.raises(SettingsError, match="RAG_INJECTION_SCREEN must be patterns, background or judge"):
        Settings.from_env({"RAG_INJECTION_SCREEN": "model"})


def test_dead_model_server_names_the_setting_to_fix(settings):
    dead = Assistant(settings.replace(backend="openai-compatible", base_url="http://127.0.0.1:9/v1",
                                      model="anything", request_timeout=5))
    with pytest.raises(ModelUnavailable, match="RAG_BASE_URL"):
        dead.ask("Who is Alexander Sergeev?")


def test_openai_compatible_backend_against_a_real_llama_cpp_server(settings, llama_server):
    remote = Assistant(settings.replace(backend="openai-compatible", base_url=llama_server, model="bundled"))
    answer = remote.ask("What did China supply to Russia for a particle accelerator?")
    # Whatever the model wrote, only guarded sentences reach the user: either cited, checked sentences
    # or an abstention; never uncited text.
    if answer.abstained:
        assert answer.citations == [] and answer.text.startswith("The documents don't say")
    else:
        markers = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer.text)}
        assert markers == {c.marker for c in answer.citations} and markers
        assert all(c.score >= 0.75 and c.quote for c in answer.citations)


def test_remote_backend_rewrites_a_follow_up_with_the_model(settings, llama_server):
    remote = Assistant(settings.replace(backend="openai-compatible", base_url=llama_server, model="bundled"))
    history = [{"role": "user", "content": "Who is the president of the Russian Academy of Engineering?"},
               {"role": "assistant", "content": "Gusev Vladimirovich, president of the Russian Academy of "
                                                "Engineering, spoke in a video call [1]."}]
    answer = remote.ask("What did he say about energy?", history=history)
    assert "Vladimirovich" in answer.standalone_question
    assert answer.standalone_question != "What did he say about energy?"
