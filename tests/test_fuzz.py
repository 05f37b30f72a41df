"""Fuzzed questions (hypothesis): decorations around a good question (pasted markers, control
characters, style requests, padding up to 100,000 characters) never crash the assistant, never leave a
dangling marker, and never make it abstain where the plain question is answered."""

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from rag import QuestionError
from rag.answer.question import clean_question

QUESTIONS = ["Who is Alexander Sergeev?", "Did China deny the freeze?",
             "What do China and Russia plan to build on the moon?"]
DECORATIONS = st.sampled_from([
    "", " [99]", " [1][2]", " Please answer briefly.", " Answer in French.", " Keep it short.",
    " \x00\x07\x1b", "\t\n\r", " (in one sentence)", " [12] Be concise.",
])


@pytest.fixture(scope="module")
def fast(assistant):
    return assistant.derive(fast=True)  # lexical checks only: hundreds of questions in seconds


@pytest.fixture(scope="module")
def plain_answers(fast):
    return {q: fast.ask(q) for q in QUESTIONS}


def assert_no_dangling_marker(answer):
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.marker for c in answer.citations}, answer.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.sampled_from(QUESTIONS), before=DECORATIONS, after=DECORATIONS)
def test_decorated_questions_get_the_plain_answer(fast, plain_answers, question, before, after):
    answer = fast.ask(before + question + after)
    assert_no_dangling_marker(answer)
    assert answer.abstained == plain_answers[question].abstained


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), padding=st.integers(0, 100_000))
def test_any_text_is_an_answer_or_a_clear_error(fast, text, padding):
    question = text + " x" * (padding // 2)
    try:
        answer = fast.ask(question)
    except QuestionError as exc:
        assert "empty" in str(exc)
        return
    assert_no_dangling_marker(answer)
    assert ("question was cut" in answer.text) == clean_question(question, fast.settings.max_question_chars)[1]
