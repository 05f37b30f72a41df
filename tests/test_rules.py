"""The answer stage's hand rules as data (rag.answer.rules), switched off by RAG_RULES_OFF, and what
``python -m eval --ablate`` reports of them."""

import pytest

from eval.ablation import ablation_table, gains
from eval.metrics import QuestionResult
from rag import Settings, SettingsError
from rag.answer.evidence import MISSING_STRICT_TYPE
from rag.answer.rules import ALL, RULES, Rules
from rag.settings import RULE_NAMES


def test_every_rule_says_what_it_does_why_and_what_it_was_made_for():
    assert tuple(RULES) == RULE_NAMES  # the names Settings checks RAG_RULES_OFF against
    for name, rule in RULES.items():
        assert rule.stage and rule.does and rule.why and rule.set_on, name


def test_rules_are_switched_off_by_name_and_a_wrong_name_is_refused():
    settings = Settings.from_env({"RAG_RULES_OFF": "missing_type, question_noise"})
    assert settings.rules_off == ("missing_type", "question_noise")
    rules = Rules(frozenset(settings.rules_off))
    assert not rules.on("missing_type") and rules.on("type_required") and ALL.on("missing_type")
    with pytest.raises(SettingsError, match="RAG_RULES_OFF names no rule other_side; the rules: missing_type"):
        Settings.from_env({"RAG_RULES_OFF": "other_side"})


def test_without_the_type_rule_a_where_sentence_naming_no_place_keeps_its_score(assistant):
    """"missing_type": a where/when/how-many question's units that offer no place, date or number score x0.75."""
    question = "Where did Sergeev make his remarks about China?"
    on = assistant.engine().candidates(question).units
    off = assistant.derive(rules_off=("missing_type",)).engine().candidates(question).units
    untyped = {u.text: u.score for u in on if not u.features["answer_type"]}
    assert untyped and all(abs(u.score * MISSING_STRICT_TYPE - untyped[u.text]) < 1e-9
                           for u in off if u.text in untyped)


def test_pipeline_without_the_noise_rule_searches_for_the_words_about_the_corpus(assistant):
    question = "What did the article report about the moon station?"
    on = assistant.engine().understand(question).profile
    off = assistant.derive(rules_off=("question_noise",)).engine().understand(question).profile
    assert "articl" not in on.stems and "articl" in off.stems


def _result(qid, answerable, correct, answer="x"):
    return QuestionResult(qid, "single_fact", "q", answer, abstained=not correct if answerable else correct,
                          answerable=answerable, citations=[], key_fact_recall=1.0 if correct else 0.0,
                          facts_missing=[])


def test_a_rules_gain_is_counted_per_set_pooled_and_on_the_sets_it_was_not_made_for():
    made_for = RULES["question_noise"].set_on[0]
    runs = {made_for: [_result("a", True, True), _result("b", True, True)],
            "other": [_result("c", True, True), _result("d", False, True)]}
    without = {made_for: [_result("a", True, False, "y"), _result("b", True, True)],
               "other": [_result("c", True, True), _result("d", False, True)]}
    result = gains(runs, {"question_noise": without})["question_noise"]
    assert result["per_set"] == {made_for: 1, "other": 0} and result["pooled"] == 1 and result["held_out"] == 0
    assert result["answers_changed"] == {made_for: 1, "other": 0}
    table = ablation_table({"question_noise": result})
    assert "question_noise" in table and "+1*" in table
