"""The answer stage's hand rules as data (rag.answer.rules), switched off by RAG_RULES_OFF, and what
``python -m eval --ablate`` reports of them."""

import pytest

from eval.ablation import ablation_table, gains
from eval.metrics import QuestionResult
from rag import Settings, SettingsError
from rag.answer.evidence import WEIGHTS
from rag.answer.rules import ALL, RULES, Rules
from rag.settings import RULE_NAMES


def test_every_rule_says_what_it_does_why_and_what_it_was_made_for():
    assert tuple(RULES) == RULE_NAMES  # the names Settings checks RAG_RULES_OFF against
    for name, rule in RULES.items():
        assert rule.stage and rule.does and rule.why and rule.set_on, name


def test_rules_are_switched_off_by_name_and_a_wrong_name_is_refused():
    settings = Settings.from_env({"RAG_RULES_OFF": "other_side, question_noise"})
    assert settings.rules_off == ("other_side", "question_noise")
    rules = Rules(frozenset(settings.rules_off))
    assert not rules.on("other_side") and rules.on("enumeration") and ALL.on("other_side")
    with pytest.raises(SettingsError, match="RAG_RULES_OFF names no rule otherside; the rules: other_side"):
        Settings.from_env({"RAG_RULES_OFF": "otherside"})


def test_a_rank_rule_off_weighs_nothing_and_the_others_keep_their_weights():
    weights = Rules(frozenset({"self_description"})).weights(WEIGHTS)
    assert weights["self_description"] == 0.0 and WEIGHTS["self_description"] < 0
    assert {k: v for k, v in weights.items() if k != "self_description"} == \
        {k: v for k, v in WEIGHTS.items() if k != "self_description"}


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
    made_for = RULES["other_side"].set_on[0]
    runs = {made_for: [_result("a", True, True), _result("b", True, True)],
            "other": [_result("c", True, True), _result("d", False, True)]}
    without = {made_for: [_result("a", True, False, "y"), _result("b", True, True)],
               "other": [_result("c", True, True), _result("d", False, True)]}
    result = gains(runs, {"other_side": without})["other_side"]
    assert result["per_set"] == {made_for: 1, "other": 0} and result["pooled"] == 1 and result["held_out"] == 0
    assert result["answers_changed"] == {made_for: 1, "other": 0}
    table = ablation_table({"other_side": result})
    assert "other_side" in table and "+1*" in table
