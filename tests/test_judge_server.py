"""The judge on a model server (RAG_JUDGE_BASE_URL): llama.cpp's real OpenAI-compatible server serving the
bundled GGUF, against the in-process judge on the same file."""

import pytest

from bench.judge_server import compare
from rag import Assistant
from rag.errors import ModelUnavailable
from rag.models.judge import LlamaJudge, load_judge
from rag.models.judge_server import ServerJudge, _p_answered_from, _p_yes

MAX_DIFF = 0.04  # P on the server vs in-process (see the first test that uses it)


@pytest.fixture(scope="module")
def served(settings, llama_server):
    return settings.replace(judge_base_url=llama_server, judge_model="bundled")


def test_the_settings_choose_where_the_judge_runs(settings, served):
    assert isinstance(load_judge(settings), LlamaJudge)
    assert isinstance(load_judge(served), ServerJudge)


def test_the_server_gives_the_in_process_verdicts_on_labelled_pairs(settings, llama_server):
    report = compare(settings, llama_server, limit=6)
    for kind, r in report.items():
        assert r["pairs"] > 0, kind
        assert r["verdicts_agree"] == r["pairs"], (kind, r["scores"])
        # MAX_DIFF: 0.030 and 0.032 measured on a 2026-12-07 build of llama.cpp (this test at the commit before
        # the session's changes too), <= 0.03 on earlier machines: the server's top-20 logprobs and the machine's
        # kernels, not the verdicts (those agree everywhere).
        assert r["max_diff"] <= MAX_DIFF, (kind, r["scores"])


def test_an_assistant_with_its_judge_on_the_server_answers_as_the_in_process_one(assistant, served):
    remote = assistant.derive(judge_base_url=served.judge_base_url, judge_model="bundled")
    assert isinstance(remote.judge(), ServerJudge) and remote.judge() is not assistant.judge()
    question = "Did China deny the freeze?"
    here, there = assistant.ask(question), remote.ask(question)
    assert there.text == here.text
    assert [(c.doc_id, c.quote) for c in there.citations] == [(c.doc_id, c.quote) for c in here.citations]


def test_the_server_picks_the_referent_the_in_process_judge_picks(assistant, served):
    """A follow-up's pronoun resolved on the server as in-process (rag.answer.conversation): the same
    probabilities over the options, read from the top 20 first tokens instead of the whole vocabulary."""
    args = ("User: And what about my widow, what benefits would she receive?\nAssistant: She can get reduced "
            "benefits as early as age 60.", "What if she remarries after my death?", "she",
            ["my widow", "Social Security", "the benefits"])
    here, there = assistant.judge().referents(*args), ServerJudge(served).referents(*args)
    assert max(range(3), key=here.__getitem__) == max(range(3), key=there.__getitem__) == 0
    assert max(abs(a - b) for a, b in zip(here, there)) <= MAX_DIFF, (here, there)


def test_an_unreachable_judge_server_names_the_setting(settings):
    dead = Assistant(settings.replace(judge_base_url="http://127.0.0.1:9/v1", request_timeout=3, model_retries=0))
    with pytest.raises(ModelUnavailable, match="RAG_JUDGE_BASE_URL"):
        dead.ask("Who is Alexander Sergeev?")


def test_verdicts_are_read_from_the_first_tokens_text():
    assert _p_yes({"Yes": 0.6, " yes": 0.1, "No": 0.2, "The": 0.1}) == pytest.approx(0.7 / 0.9)
    assert _p_yes({"The": 0.9}) == 0.5  # neither answer among the likeliest tokens
    text = "The lighthouse was built in 1871 by Alan Brodie."
    assert _p_answered_from({"187": 0.5, "unknown": 0.3, "Paris": 0.1, "yes": 0.05}, text) == pytest.approx(0.55)
    assert _p_answered_from({" Brod": 0.4, "Al": 0.2, "ight": 0.3}, text) == pytest.approx(0.6)  # not a word's start
