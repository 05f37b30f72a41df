"""Is a learned selection better than the judge's hand-set bars? Leave-one-set-out on the eval pool.

    python -m bench.selection collect [--context]   # every eval question up to the judge: ~25 min on 2 cores
    python -m bench.selection compare                # seconds: the tables below

``collect`` runs every question of the bundled gold set and of every set in ../shared/eval-sets through the
pipeline's own stages up to the judge (``AnswerPipeline.candidates``: rewrite, retrieve, widen, rank), has
the judge score the best units as the answer path does (``--context``: once more with the sentence before
each unit), and labels every unit with the key facts (gold regexes) it states. Pairs go to
``.cache/selection_pairs.jsonl``.

``compare`` scores, per set, in-sample and held out (fitted and its thresholds chosen on the other sets
only), with a proxy of the eval (an answerable question counts when the units kept state all its key
facts, an unanswerable one when none is kept):

* the judge's bars of ``rag.presence`` (hand-set: nothing to hold out);
* a logistic model of "this unit states a key fact" over the judge's verdict and the rank features, with
  two learned thresholds (answer at all; keep a unit), with and without the judge, at three strengths;
* the rank weights of ``rag.evidence`` against weights learned the same way (a unit stating a key fact
  among the judge's candidates).

Measured 2026-12-04 (9 sets, 286 judged questions): neither learned model beat the hand-set rule held out,
so the answer path keeps it; README, "What the selection is worth".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from rag import Assistant, Settings
from rag.paths import cache_home
from rag.presence import (EXPLANATION_THRESHOLD, FULL_COVERAGE, JUDGE_CANDIDATES, accepted, judge_scores,
                          judge_text)
from rag.selection import SELECTION_FILE, Selector, judge_gap, selection_features

from eval.gold import GoldItem, load_gold
from eval.metrics import fact_found
from eval.sets import DEFAULT_SETS_DIR, discover_sets, load_set_items

PAIRS = cache_home() / "selection_pairs.jsonl"
BUNDLED = "bundled"


# --- collect --------------------------------------------------------------------------------------

def question_record(assistant: Assistant, item: GoldItem, name: str, context: bool = False) -> dict:
    """The question's candidates as the answer path sees them, judged, each labelled with its key facts."""
    pipeline = assistant.engine()
    c = pipeline.candidates(item.question, item.history or None)
    record = {"set": name, "id": item.id, "type": item.type, "answerable": item.answerable, "question": item.question,
              "facts": len(item.key_facts), "route": "catalog" if c.catalog else "compare" if c.topic else "answer",
              "units": []}
    if c.catalog is not None or not c.units:
        return record
    q = c.q
    record.update(judged_question=q.text, yes_no=q.yes_no, open=q.open, plausible=pipeline.plausible(q, c.units),
                  strict=any(s for s, _ in q.wanted))
    # Every candidate's rank features and facts, for learning the rank weights (no judge needed).
    record["ranked"] = [{"f": {k: round(v, 4) for k, v in u.features.items()}, "passage": u.passage,
                         "facts": [i for i, group in enumerate(item.key_facts)
                                   if fact_found(group, judge_text(u, c.passages, q.open), item.patterns)]}
                        for u in c.units]
    judge = pipeline.judge
    removed: list = []
    top = judge_scores(judge, q, c.units, c.passages, removed)
    plain = {id(u): u.judged for u in top}
    if context:
        judge_scores(judge, q, c.units, c.passages, [], context=True)
    best = c.units[0]
    surest = max(plain.values(), default=None)
    surest_context = max((u.judged for u in top), default=None)
    for rank, unit in enumerate(c.units[:JUDGE_CANDIDATES]):
        read = judge_text(unit, c.passages, q.open)
        p = plain.get(id(unit))
        p_context = unit.judged if context and id(unit) in plain else None
        record["units"].append({
            "rank": rank, "text": unit.text[:300], "read": read, "doc": c.passages[unit.passage - 1].doc_id,
            "p": p, "p_context": p_context, "pre_rejected": id(unit) not in plain,
            "x": selection_features(unit, rank, best, q, p, surest),
            **({"x_context": selection_features(unit, rank, best, q, p_context, surest_context)} if context else {}),
            "hand_features": {"window_coverage": unit.features.get("window_coverage", 0.0),
                              "answer_type": unit.features.get("answer_type", 0.0),
                              "strict": any(s for s, _ in q.wanted), "explains": q.explains},
            "facts_found": [i for i, group in enumerate(item.key_facts) if fact_found(group, read, item.patterns)],
        })
    return record


def collect(out: Path, sets_dir: Path, context: bool = False) -> None:
    settings = Settings.from_env()
    main = Assistant(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        def write(assistant: Assistant, items: list[GoldItem], name: str) -> None:
            for item in items:
                f.write(json.dumps(question_record(assistant, item, name, context)) + "\n")
                f.flush()
            print(f"{name}: {len(items)} questions", file=sys.stderr)

        write(main, load_gold(corpus_dir=settings.corpus_dir), BUNDLED)
        for eval_set in discover_sets(sets_dir):
            with tempfile.TemporaryDirectory(prefix=f"rag-select-{eval_set.name}-") as index_dir:
                assistant = Assistant(settings.replace(corpus_dir=eval_set.corpus_dir, index_dir=Path(index_dir),
                                                       chroma_url=None, lexical_url=None), judge=main.judge())
                assistant.index()
                write(assistant, load_set_items(eval_set), eval_set.name)


# --- compare ----------------------------------------------------------------------------------------

def load_pairs(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in records:  # pairs collected before the judge_gap feature: computed from the stored verdicts
        surest = max((u["p"] for u in r["units"] if u["p"] is not None), default=None)
        for u in r["units"]:
            u["x"].setdefault("judge_gap", judge_gap(u["p"], surest))
    return records


def judged_questions(records: list[dict]) -> list[dict]:
    """The questions whose answer the judge gates: routed to the answer path, plausible, not yes/no."""
    return [r for r in records if r["route"] == "answer" and r.get("plausible") and not r.get("yes_no")]


def hand_rule(unit: dict, threshold: float = Settings.judge_threshold) -> bool:
    """The judge's bars of rag.presence (``accepted``), on a collected unit."""
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


def threshold_cross(records: list[dict]) -> dict[str, dict]:
    """The hand rule with RAG_JUDGE_THRESHOLD chosen on the other sets (held out) or on all (in-sample)."""
    import numpy as np

    grid = [round(float(t), 3) for t in np.arange(0.05, 0.5, 0.025)]

    def rule(t):
        return lambda r: [u for u in r["units"] if hand_rule(u, t)]

    def best(group):
        return max(grid, key=lambda t: objective(group, rule(t)))

    inside = per_set(records, rule(best(records)))
    out = {}
    for name in inside:
        chosen = best([r for r in records if r["set"] != name])
        held = per_set([r for r in records if r["set"] == name], rule(chosen))[name]
        out[name] = {"in_sample": inside[name], "held_out": held, "threshold": chosen}
    print(f"RAG_JUDGE_THRESHOLD chosen on all sets: {best(records)}; held out, per set: "
          + ", ".join(f"{n} {r['threshold']}" for n, r in out.items()))
    return out


def cross_table(label: str, result: dict[str, dict]) -> str:
    """Answerable right and unanswerable abstained (proxy), per set, in-sample and held out, and their means."""
    width = max(len(s) for s in result) + 2
    lines = [f"\n{label}", f"{'set':<{width}}  answerable: in  held out   unanswerable: in  held out"]
    for name, r in result.items():
        lines.append(f"{name:<{width}}  " + "   ".join(
            f"{fmt(r['in_sample'][k]):>14}  {fmt(r['held_out'][k]):>8}" for k in ("answerable", "unanswerable")))
    cells = []
    for k in ("answerable", "unanswerable"):  # each set weighing the same
        ins = [r["in_sample"][k] for r in result.values() if r["in_sample"][k] is not None]
        out = [r["held_out"][k] for r in result.values() if r["held_out"][k] is not None]
        cells.append(f"{fmt(sum(ins) / len(ins)):>14}  {fmt(sum(out) / len(out)):>8}")
    lines.append(f"{'mean of the sets':<{width}}  " + "   ".join(cells))
    return "\n".join(lines)


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


# --- the rank weights ------------------------------------------------------------------------------

def rank_records(pairs: list[dict]) -> list[dict]:
    """Answerable questions on the answer path with a unit that states a key fact: what ranking can win."""
    return [r for r in pairs if r["route"] == "answer" and r["answerable"] and r.get("ranked")
            and any(u["facts"] for u in r["ranked"])]


def recall_at(records: list[dict], weights: dict[str, float], k: int = JUDGE_CANDIDATES) -> dict[str, float]:
    """Per set: the share of questions with a unit stating a key fact among the ``k`` best by ``weights``."""
    from rag.evidence import MISSING_STRICT_TYPE

    def score(r, u):
        value = sum(weights.get(name, 0.0) * v for name, v in u["f"].items())
        return value * (MISSING_STRICT_TYPE if r.get("strict") and not u["f"].get("answer_type") else 1.0)

    out: dict[str, list[bool]] = {}
    for r in records:
        best = sorted(r["ranked"], key=lambda u: -score(r, u))[:k]
        out.setdefault(r["set"], []).append(any(u["facts"] for u in best))
    return {name: sum(v) / len(v) for name, v in out.items()}


def fit_rank(records: list[dict], c: float = C) -> dict[str, float]:
    """Rank weights learned as a logistic model of 'this unit states a key fact' over the rank features, on
    the raw feature scale (so they drop into rag.evidence.WEIGHTS as they are)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from rag.evidence import WEIGHTS

    names = list(WEIGHTS)
    x = np.array([[u["f"].get(n, 0.0) for n in names] for r in records for u in r["ranked"]])
    y = np.array([int(bool(u["facts"])) for r in records for u in r["ranked"]])
    model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return dict(zip(names, (float(v) for v in model.coef_[0])))


def rank_table(pairs: list[dict]) -> None:
    from rag.evidence import WEIGHTS

    records = rank_records(pairs)
    sets = list(dict.fromkeys(r["set"] for r in records))
    hand = recall_at(records, WEIGHTS)
    learned_all = fit_rank(records)
    inside = recall_at(records, learned_all)
    held = {s: recall_at([r for r in records if r["set"] == s],
                         fit_rank([r for r in records if r["set"] != s]))[s] for s in sets}
    width = max(len(s) for s in sets)
    print(f"\nrank: a unit stating a key fact among the judge's {JUDGE_CANDIDATES} candidates "
          f"({len(records)} answerable questions)")
    print(f"{'set':<{width}}  hand weights  learned in-sample  learned held-out")
    for s in sets:
        print(f"{s:<{width}}  {hand[s]:12.3f}  {inside[s]:17.3f}  {held[s]:16.3f}")
    mean = lambda d: sum(d.values()) / len(d)  # noqa: E731
    print(f"{'mean of the sets':<{width}}  {mean(hand):12.3f}  {mean(inside):17.3f}  {mean(held):16.3f}")
    print("learned weights (all sets): " + ", ".join(f"{k} {v:+.2f}" for k, v in learned_all.items()))


def compare(args) -> int:
    pairs = load_pairs(args.pairs)
    rank_table(pairs)
    records = judged_questions(pairs)
    sets = list(dict.fromkeys(r["set"] for r in records))
    print(f"{len(records)} judged questions, {sum(len(r['units']) for r in records)} units, sets: {', '.join(sets)}")
    hand = per_set(records, lambda r: [u for u in r["units"] if hand_rule(u)])
    rows = {"hand rule (judge bars), RAG_JUDGE_THRESHOLD as set": {s: {"in_sample": hand[s], "held_out": hand[s]}
                                                                  for s in sets},
            "hand rule, its threshold chosen on the other sets": threshold_cross(records)}
    variants = {"selector": ("x", FEATURES),
                "selector without the judge": ("x", [f for f in FEATURES if not f.startswith("judge")])}
    if all("x_context" in u for r in records for u in r["units"]):
        variants["selector, judge reads the sentence before"] = ("x_context", FEATURES)
        with_context = per_set(records, lambda r: [u for u in r["units"]
                                                   if hand_rule({**u, "p": u["p_context"]})])
        rows["hand rule, judge reads the sentence before"] = {s: {"in_sample": with_context[s],
                                                                  "held_out": with_context[s]} for s in sets}
    for label, (variant, features) in variants.items():
        rows[label] = cross(records, variant, features, C)
    for c in (1.0, 10.0):
        rows[f"selector, C={c}"] = cross(records, "x", FEATURES, c)
    for label, result in rows.items():
        print(cross_table(label, result))
    return 0


def fit_selection(args) -> int:
    """The selector fitted on every set, written where the answer path reads it, with what it was fitted on
    and how each set scored with it fitted on the others."""
    records = judged_questions(load_pairs(args.pairs))
    model = fit(records, "x", FEATURES, args.c)
    held = cross(records, "x", FEATURES, args.c)
    hand = per_set(records, lambda r: [u for u in r["units"] if hand_rule(u)])

    def mean(values):
        values = [v for v in values if v is not None]
        return round(sum(values) / len(values), 3) if values else None

    data = {
        "about": "P(a judged unit states a key fact of the answer): a logistic model over the judge's verdict and "
                 "the rank features (rag.selection.selection_features), standardised; the question is answered "
                 "when its surest unit reaches threshold, then every unit reaching keep_threshold is kept. "
                 "Written by `python -m bench.selection fit` from `collect`'s pairs.",
        "C": args.c, "fitted_on": {"sets": list(dict.fromkeys(r["set"] for r in records)), "questions": len(records),
                                   "units": sum(len(r["units"]) for r in records)},
        "features": list(model.features), "coef": [round(v, 6) for v in model.coef],
        "intercept": round(model.intercept, 6), "mean": [round(v, 6) for v in model.mean],
        "scale": [round(v, 6) for v in model.scale], "threshold": model.threshold,
        "keep_threshold": model.keep_threshold,
        "held_out": {name: r["held_out"] for name, r in held.items()},
        "held_out_mean": {k: mean(r["held_out"][k] for r in held.values()) for k in ("answerable", "unanswerable")},
        "bars_mean": {k: mean(v[k] for v in hand.values()) for k in ("answerable", "unanswerable")},
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: held out {data['held_out_mean']}, the bars {data['bars_mean']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.selection", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="run every eval question up to the judge and label its units")
    c.add_argument("--out", type=Path, default=PAIRS)
    c.add_argument("--sets", type=Path, default=DEFAULT_SETS_DIR)
    c.add_argument("--context", action="store_true",
                   help="also judge each unit with the sentence before it (doubles the judge's time)")
    t = sub.add_parser("compare", help="the hand-set rules against learned ones, leave one set out")
    t.add_argument("--pairs", type=Path, default=PAIRS)
    f = sub.add_parser("fit", help="fit the selector on every set and write it for the answer path")
    f.add_argument("--pairs", type=Path, default=PAIRS)
    f.add_argument("--c", type=float, default=C)
    f.add_argument("--out", type=Path, default=SELECTION_FILE)
    args = parser.parse_args(argv)
    if args.command == "fit":
        return fit_selection(args)
    if args.command == "collect":
        collect(args.out, args.sets, args.context)
        return 0
    return compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
