"""The learned selection's trainer: a logistic model of "this judged unit states a key fact" fitted on the
eval pool's labelled pairs, its two thresholds chosen for the pool, and leave-one-set-out (each set scored by
a model fitted on the other sets only).

Pairs are collected by ``python -m bench.selection collect`` (every pool question run up to the judge, its
judged units labelled with the gold key facts they state); ``python -m bench.selection fit`` fits the
selector the answer path reads (``rag/answer/selection.json``) and keeps the pairs it was fitted on, without their
texts, in ``eval/selection_pairs.jsonl.gz``: ``python -m eval --cross`` refits from them without each set
and runs that set with the held-out selector (``RAG_SELECTION=<file>``).

A question counts, by proxy of the eval, when the units kept state all its key facts (answerable) or when
none is kept (unanswerable).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

from rag import Settings
from rag.answer.presence import EXPLANATION_THRESHOLD, FULL_COVERAGE, accepted
from rag.answer.selection import Selector, judge_gap

PAIRS_FILE = Path(__file__).resolve().parent / "selection_pairs.jsonl.gz"
_TEXT_FIELDS = ("text", "read")  # a unit's texts: kept in the collected pairs, not in the pool's copy


def _open(path: Path, mode: str):
    return gzip.open(path, mode + "t", encoding="utf-8") if path.suffix == ".gz" else path.open(mode, encoding="utf-8")


def load_pairs(path: Path = PAIRS_FILE) -> list[dict]:
    """Collected pairs (``.jsonl`` or ``.jsonl.gz``), one question a line."""
    with _open(path, "r") as f:
        records = [json.loads(line) for line in f if line.strip()]
    for r in records:  # pairs collected before the judge_gap feature: computed from the stored verdicts
        surest = max((u["p"] for u in r["units"] if u["p"] is not None), default=None)
        for u in r["units"]:
            u["x"].setdefault("judge_gap", judge_gap(u["p"], surest))
    return records


def judged_questions(records: list[dict]) -> list[dict]:
    """The questions whose answer the judge gates: routed to the answer path, plausible, not yes/no."""
    return [r for r in records if r["route"] == "answer" and r.get("plausible") and not r.get("yes_no")]


def hand_rule(unit: dict, threshold: float = Settings.judge_threshold) -> bool:
    """The judge's bars of rag.answer.presence (``accepted``), on a collected unit."""
    if unit["pre_rejected"]:
        return False
    h = unit["hand_features"]
    bar = min(threshold, EXPLANATION_THRESHOLD) if h["explains"] else threshold
    return accepted(unit["p"], bar, bool(h["strict"] and h["answer_type"]), h["window_coverage"] >= FULL_COVERAGE)


def question_score(record: dict, kept: list[dict]) -> bool:
    """The eval's verdict, by proxy: every key fact in the kept units (answerable), nothing kept (not)."""
    if not record["answerable"]:
        return not kept
    found = {i for u in kept for i in u["facts_found"]}
    return bool(kept) and len(found) >= record["facts"]


def matrix(records: list[dict], variant: str, features: list[str]):
    import numpy as np

    rows, labels = [], []
    for r in records:
        for u in r["units"]:
            if u["pre_rejected"]:
                continue
            rows.append([u[variant][f] for f in features])
            labels.append(int(r["answerable"] and bool(u["facts_found"])))
    return np.array(rows, dtype=float), np.array(labels)


def fit(records: list[dict], variant: str, features: list[str], c: float) -> Selector:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x, y = matrix(records, variant, features)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    selector = Selector(tuple(features), tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]),
                        tuple(float(v) for v in mean), tuple(float(v) for v in scale), 0.5, {})
    grid = [(round(t, 3), round(k, 3)) for t in np.arange(0.05, 0.95, 0.025) for k in np.arange(0.05, t + 0.01, 0.05)]
    scores = [objective(records, decider(dataclasses.replace(selector, threshold=t, keep_threshold=k), variant))
              for t, k in grid]
    t, k = grid[int(np.argmax(scores))]
    return dataclasses.replace(selector, threshold=t, keep_threshold=k)


def decider(selector: Selector, variant: str = "x"):
    """The units of a record the selector keeps, as the answer path decides."""
    def decide(record: dict) -> list[dict]:
        units = [u for u in record["units"] if not u["pre_rejected"]]
        keep = selector.kept([selector.probability(u[variant]) for u in units])
        return [u for u, k in zip(units, keep) if k]
    return decide


def outcomes(records: list[dict], decide) -> dict[str, dict[str, list[bool]]]:
    """Per set, the proxy verdict of each answerable and each unanswerable question, ``decide(record)``
    giving the units kept."""
    out: dict[str, dict[str, list[bool]]] = {}
    for r in records:
        kept = decide(r)
        group = out.setdefault(r["set"], {"answerable": [], "unanswerable": []})
        group["answerable" if r["answerable"] else "unanswerable"].append(question_score(r, kept))
    return out


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def per_set(records: list[dict], decide) -> dict[str, dict[str, float | None]]:
    """Per set: the share of answerable questions right and of unanswerable ones abstained (proxy)."""
    return {name: {k: _share(v) for k, v in group.items()} for name, group in outcomes(records, decide).items()}


# How much abstaining on unanswerable questions weighs against answering answerable ones when the thresholds
# are chosen. Compared held out (leave one set out, 7 sets): at 0.5 the answerable mean was 0.62, at 0.35
# 0.67, both abstaining on 0.80 of the unanswerable questions (the hand rule's share); at 0.2 abstention fell
# to 0.40. So 0.35: a wrong answer costs about twice a missed one.
UNANSWERABLE_WEIGHT = 0.35


def objective(records: list[dict], decide) -> float:
    """What the thresholds are chosen for: the mean over sets of the answerable share (a set of 60 questions
    does not outvote one of 6) and the share of every unanswerable question abstained (pooled: few sets
    have them), weighed by ``UNANSWERABLE_WEIGHT``."""
    groups = outcomes(records, decide).values()
    answerable = [_share(g["answerable"]) for g in groups if g["answerable"]]
    unanswerable = [v for g in groups for v in g["unanswerable"]]
    mean = sum(answerable) / len(answerable) if answerable else 0.0
    if not unanswerable:
        return mean
    return (1 - UNANSWERABLE_WEIGHT) * mean + UNANSWERABLE_WEIGHT * _share(unanswerable)


def cross(records: list[dict], variant: str, features: list[str], c: float) -> dict[str, dict]:
    """Each set scored by the model fitted on every set (in-sample) and on the others only (held out)."""
    full = fit(records, variant, features, c)
    inside = per_set(records, decider(full, variant))
    out = {}
    for name in inside:
        model = fit([r for r in records if r["set"] != name], variant, features, c)
        held = per_set([r for r in records if r["set"] == name], decider(model, variant))[name]
        out[name] = {"in_sample": inside[name], "held_out": held}
    return out


FEATURES = ["judge", "judge_gap", "score", "relative_score", "rank", "coverage", "window_coverage", "similarity",
            "answer_type", "speaker", "open", "wants_type", "judge_open"]
# L2 strength of the logistic model the answer path uses (``fit``). Compared held out (leave one set out, 9
# sets, 2026-12-06, `compare`): C = 0.1 / 1 / 10 answered 0.668 / 0.649 / 0.631 of the answerable questions
# against the bars' 0.606 (each set weighing the same), and abstained on 0.766 / 0.663 / 0.663 of the
# unanswerable ones against 0.667: the strongest shrinkage is the one that gains on both.
C = 0.1


def write_pairs(records: list[dict], path: Path = PAIRS_FILE) -> None:
    """The pairs without the units' texts (what fitting reads), compressed: the pool's labelled copy kept
    in the repository beside the selector fitted on it."""
    with _open(path, "w") as f:
        for r in records:
            units = [{k: v for k, v in u.items() if k not in _TEXT_FIELDS} for u in r["units"]]
            f.write(json.dumps({**r, "units": units}, separators=(",", ":")) + "\n")


def pair_sets(records: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["set"] for r in records))


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None


def selector_data(records: list[dict], c: float = C, held_out: bool = True) -> dict:
    """The selector fitted on ``records`` as the answer path reads it (``rag.answer.selection.load_selector``), with
    what it was fitted on and, when ``held_out``, how each set scored with it fitted on the others."""
    records = judged_questions(records)
    model = fit(records, "x", FEATURES, c)
    data = {
        "about": "P(a judged unit states a key fact of the answer): a logistic model over the judge's verdict and "
                 "the rank features (rag.answer.selection.selection_features), standardised; the question is answered "
                 "when its surest unit reaches threshold, then every unit reaching keep_threshold is kept. "
                 "Written by `python -m bench.selection fit` from `collect`'s pairs (eval/selection.py).",
        "C": c, "fitted_on": {"sets": pair_sets(records), "questions": len(records),
                              "units": sum(len(r["units"]) for r in records)},
        "features": list(model.features), "coef": [round(v, 6) for v in model.coef],
        "intercept": round(model.intercept, 6), "mean": [round(v, 6) for v in model.mean],
        "scale": [round(v, 6) for v in model.scale], "threshold": model.threshold,
        "keep_threshold": model.keep_threshold,
    }
    if held_out:
        held = cross(records, "x", FEATURES, c)
        hand = per_set(records, lambda r: [u for u in r["units"] if hand_rule(u)])
        data["held_out"] = {name: r["held_out"] for name, r in held.items()}
        data["held_out_mean"] = {k: _mean(r["held_out"][k] for r in held.values())
                                 for k in ("answerable", "unanswerable")}
        data["bars_mean"] = {k: _mean(v[k] for v in hand.values()) for k in ("answerable", "unanswerable")}
    return data


def write_selector(data: dict, path: Path) -> Path:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def held_out_selector(records: list[dict], name: str, folder: Path, c: float = C) -> Path | None:
    """The selector fitted without set ``name``, written to a file in ``folder`` (for ``RAG_SELECTION``);
    None when the pairs hold no question of ``name`` (its selector already never saw it)."""
    if name not in pair_sets(records):
        return None
    data = selector_data([r for r in records if r["set"] != name], c, held_out=False)
    data["about"] = f"held out: fitted without the set {name!r}. " + data["about"]
    return write_selector(data, folder / f"selection-without-{name}.json")
