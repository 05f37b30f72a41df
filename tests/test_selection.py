"""Leave-one-set-out comparison of the judge's hand-set bars with a learned selection (eval.selection, bench.selection): its
pieces on labelled records made here, and the hand rule it measures being the answer path's own."""

import random

import pytest

from eval.selection import FEATURES, cross, decider, fit, hand_rule, per_set, question_score
from rag.answer.selection import Selector
from rag.answer.presence import EXPLANATION_THRESHOLD, WEAK_ACCEPT, accepted


# --- the trainer ----------------------------------------------------------------------------------

def _unit(judge: float, coverage: float, facts: list[int]) -> dict:
    x = {name: 0.0 for name in FEATURES} | {"judge": judge, "coverage": coverage}
    hand = {"window_coverage": coverage, "answer_type": 0.0, "strict": False, "explains": False}
    return {"x": x, "p": 1 / (1 + 2.718 ** -judge), "pre_rejected": False, "facts_found": facts, "hand_features": hand}


def _records(n: int, name: str, seed: int) -> list[dict]:
    """Questions whose answer unit has a surer judge and more of the question's words than the rest."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        answerable = i % 4 != 0
        units = [_unit(rng.gauss(-2.5, 1.0), rng.uniform(0.1, 0.6), []) for _ in range(2)]
        if answerable:
            units.insert(0, _unit(rng.gauss(0.5, 1.0), rng.uniform(0.5, 1.0), [0]))
        records.append({"set": name, "id": f"{name}{i}", "answerable": answerable, "facts": 1, "units": units,
                        "route": "answer", "plausible": True, "yes_no": False})
    return records


def test_a_question_counts_when_the_kept_units_state_every_key_fact_or_nothing_is_kept_for_no_answer():
    answerable = {"answerable": True, "facts": 2}
    assert question_score(answerable, [{"facts_found": [0]}, {"facts_found": [1]}])
    assert not question_score(answerable, [{"facts_found": [0]}])
    assert not question_score(answerable, [])
    assert question_score({"answerable": False, "facts": 0}, [])
    assert not question_score({"answerable": False, "facts": 0}, [{"facts_found": []}])


def test_the_fitted_selector_learns_the_signal_and_its_threshold_from_the_training_sets():
    records = _records(80, "a", 1) + _records(80, "b", 2)
    selector = fit(records, "x", FEATURES, 1.0)
    weights = dict(zip(selector.features, selector.coef))
    assert weights["judge"] > 0 and weights["coverage"] > 0
    scores = per_set(records, decider(selector))
    assert min(s["answerable"] for s in scores.values()) > 0.8
    assert min(s["unanswerable"] for s in scores.values()) > 0.8


def test_held_out_scores_come_from_a_model_that_never_saw_the_set():
    """A set whose labels contradict the others scores well in-sample and badly held out."""
    records = _records(60, "a", 1) + _records(60, "b", 2)
    flipped = _records(60, "c", 3)
    for r in flipped:  # here the judge's surest unit is never the answer
        for u in r["units"]:
            u["facts_found"] = [] if u["facts_found"] else ([0] if r["answerable"] else [])
    result = cross(records + flipped, "x", ["judge", "coverage"], 1.0)
    assert result["c"]["held_out"]["answerable"] < result["a"]["held_out"]["answerable"]


def test_a_selector_answers_only_when_its_surest_unit_clears_the_threshold_then_keeps_the_near_ones():
    selector = Selector(("judge",), (1.0,), 0.0, (0.0,), (1.0,), 0.6, keep_threshold=0.3)
    assert selector.kept([0.5, 0.4]) == [False, False]
    assert selector.kept([0.7, 0.4, 0.2]) == [True, True, False]
    assert selector.probability({"judge": 0.0}) == pytest.approx(0.5)


def test_the_hand_rule_measured_is_the_answer_paths_own():
    assert hand_rule(_unit(0.0, 0.2, []))  # P 0.5 clears 0.25
    assert not hand_rule(_unit(-2.0, 0.2, []))  # P 0.12 does not ...
    assert hand_rule(_unit(-2.0, 1.0, []))  # ... unless every question word is in its context (bar 0.1)
    assert accepted(WEAK_ACCEPT, 0.25, typed=False, in_context=True)
    explained = _unit(-1.6, 0.2, [])  # P 0.17: below 0.25, above the bar of a how/why question
    explained["hand_features"]["explains"] = True
    assert hand_rule(explained) and explained["p"] > EXPLANATION_THRESHOLD


# --- the pool's pairs, held out, and RAG_SELECTION=<file> --------------------------------------------

def test_the_pools_pairs_refit_the_selector_the_answer_path_reads():
    """eval/selection_pairs.jsonl.gz is what rag/answer/selection.json was fitted on: refitting gives it back."""
    import json

    from eval.selection import load_pairs, selector_data
    from rag.answer.selection import SELECTION_FILE

    stored = json.loads(SELECTION_FILE.read_text())
    refit = selector_data(load_pairs(), stored["C"], held_out=False)
    assert refit["fitted_on"] == stored["fitted_on"]
    assert refit["coef"] == pytest.approx(stored["coef"], abs=1e-5)
    assert (refit["threshold"], refit["keep_threshold"]) == (stored["threshold"], stored["keep_threshold"])


def test_a_held_out_selector_never_saw_its_set_and_is_a_setting(tmp_path):
    from eval.selection import held_out_selector, load_pairs
    from rag.answer.selection import selector_for
    from rag.settings import Settings

    pairs = load_pairs()
    path = held_out_selector(pairs, "bundled", tmp_path)
    data = __import__("json").loads(path.read_text())
    assert "bundled" not in data["fitted_on"]["sets"] and len(data["fitted_on"]["sets"]) == 8
    assert held_out_selector(pairs, "a set nobody collected", tmp_path) is None
    selector = selector_for(Settings(selection=str(path)).selection)
    assert selector.coef != selector_for("learned").coef and selector_for("bars") is None


@pytest.mark.parametrize("content", [None, "not json", '{"features": ["judge"], "coef": [1.0]}'])
def test_rag_selection_names_learned_bars_or_a_selector_file(tmp_path, content):
    from rag.errors import SettingsError
    from rag.settings import Settings

    path = tmp_path / "mine.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match="RAG_SELECTION"):
        Settings(selection=str(path))
    with pytest.raises(SettingsError, match="learned, bars or a selector file"):
        Settings(selection="lerned")


def test_the_budget_comparison_reads_the_best_units_up_to_the_count_and_measures_the_gap_among_them():
    """bench.selection's RAG_JUDGE_CANDIDATES table: a record cut to its ``count`` best units (candidates, then
    the ``--more`` ones), units rejected before the judge left out, the judge's gap against the surest of those."""
    from bench.selection import first_read
    from rag.answer.selection import judge_gap

    units = [dict(_unit(j, 0.5, []), rank=i) for i, j in enumerate((-1.0, 0.5, -2.0))]
    more = [dict(_unit(j, 0.5, [0]), rank=3 + i) for i, j in enumerate((2.0, -3.0))]
    units[2]["pre_rejected"] = True
    record = {"set": "a", "answerable": True, "facts": 1, "units": units, "more": more}
    two = first_read(record, 2)
    assert [u["rank"] for u in two["units"]] == [0, 1] and two["more"] == []
    assert two["units"][1]["x"]["judge_gap"] == pytest.approx(0.0)
    four = first_read(record, 4)
    assert [u["rank"] for u in four["units"]] == [0, 1, 3]
    assert four["units"][1]["x"]["judge_gap"] == pytest.approx(judge_gap(units[1]["p"], more[0]["p"]))
    assert units[1]["x"]["judge_gap"] == 0.0  # the record itself is left as it was
    assert question_score(four, four["units"]) and not question_score(two, two["units"])
