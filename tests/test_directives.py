"""Requests about the answer's form are taken out of the question (rag/answer/directives.py)."""

import pytest

from rag.answer.directives import strip_directives


@pytest.mark.parametrize("asked, plain", [
    ("Who is Alexander Sergeev? Please answer briefly.", "Who is Alexander Sergeev?"),
    ("Who is Alexander Sergeev? [99]", "Who is Alexander Sergeev?"),
    ("Answer in French: who is Alexander Sergeev?", "Who is Alexander Sergeev?"),
    ("Did China deny the freeze, briefly?", "Did China deny the freeze?"),
    ("In one sentence, what did Zhao say?", "What did Zhao say?"),
    ("What happened in 2022? Keep it short.", "What happened in 2022?"),
])
def test_form_requests_and_pasted_markers_are_taken_out(asked, plain):
    core, removed = strip_directives(asked)
    assert core == plain and removed


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "Which language did the Chinese delegation use?",
    "What do the articles say in English?",
    "Summarize the articles in three bullet points",
    "Explain the ReLU in detail.",
    "briefly",
])
def test_questions_about_things_are_left_alone(question):
    assert strip_directives(question) == (question, [])


def test_a_form_request_gets_the_answer_the_plain_question_gets(assistant):
    plain = assistant.ask("Who is Alexander Sergeev?")
    for asked in ("Who is Alexander Sergeev? Please answer briefly.", "Answer in French: who is Alexander Sergeev?",
                  "Who is Alexander Sergeev? [99]"):
        answer = assistant.ask(asked)
        assert answer.text == plain.text and not answer.abstained
        assert any("form" in why for _, why in answer.removed)
