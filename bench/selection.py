"""Is a learned selection better than the judge's hand-set bars? Leave-one-set-out on the eval pool.

    python -m bench.selection collect [--context] [--more N]  # every eval question up to the judge: ~25 min
                                                               # on 2 cores (~50 min with --more 3)
    python -m bench.selection compare                # seconds: the tables below

``collect`` runs every question of the bundled gold set and of every set in ../shared/eval-sets through the
pipeline's own stages up to the judge (``AnswerPipeline.candidates``: rewrite, retrieve, widen, rank), has
the judge score the best units as the answer path does (``--context``: once more with the sentence before
each unit), and labels every unit with the key facts (gold regexes) it states. Pairs go to
``.cache/selection_pairs.jsonl``; ``fit`` (the trainer is ``eval.selection``) writes the selector the answer
path reads (``rag/answer/selection.json``) and keeps the pairs without their texts in ``eval/selection_pairs.jsonl.gz``,
which ``compare`` and ``fit`` read when no collected pairs are in the cache.

``compare`` scores, per set, in-sample and held out (fitted and its thresholds chosen on the other sets
only), with a proxy of the eval (an answerable question counts when the units kept state all its key
facts, an unanswerable one when none is kept):

* the judge's bars of ``rag.answer.presence`` (hand-set: nothing to hold out);
* a logistic model of "this unit states a key fact" over the judge's verdict and the rank features, with
  two learned thresholds (answer at all; keep a unit), with and without the judge, at three strengths;
* the rank weights of ``rag.answer.evidence`` against weights learned the same way (a unit stating a key fact
  among the judge's candidates);
* with pairs collected ``--more N``: the judge's budget (``RAG_JUDGE_CANDIDATES``), the selection fitted on
  the other sets' 3 judged units deciding over the 1 to 3 + N best of the set's own.

Measured 2026-12-06 (9 sets, 285 judged questions): the selector at C=0.1 beat the hand-set bars held out
(0.668 / 0.766 against 0.606 / 0.667), so the answer path uses it; docs/evaluation.md, "What the selection is
worth, held out".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rag import Assistant, Settings
from rag.paths import cache_home
from rag.answer.presence import JUDGE_CANDIDATES, judge_scores, judge_text
from rag.answer.selection import SELECTION_FILE, selection_features

from eval.gold import GoldItem, load_gold
from eval.metrics import fact_found
from eval.selection import (C, FEATURES, PAIRS_FILE, cross, decider, fit, hand_rule, judged_questions, load_pairs,
                            objective, per_set, selector_data, write_pairs, write_selector)
from eval.sets import DEFAULT_SETS_DIR, discover_sets, load_set_items

# Collected pairs with their texts (to read what the judge saw); `fit` keeps a copy without them in the eval.
COLLECTED = cache_home() / "selection_pairs.jsonl"
PAIRS = COLLECTED if COLLECTED.is_file() else PAIRS_FILE
BUNDLED = "bundled"


# --- collect --------------------------------------------------------------------------------------

def question_record(assistant: Assistant, item: GoldItem, name: str, context: bool = False, more: int = 0) -> dict:
    """The question's candidates as the answer path sees them, judged, each labelled with its key facts."""
    pipeline = assistant.engine()
    c = pipeline.candidates(item.question, item.history or None)
    record = {"set": name, "id": item.id, "type": item.type, "answerable": item.answerable, "question": item.question,
              "facts": len(item.key_facts), "route": c.query.route,
              "units": []}
    if c.query.route == "catalog" or not c.units:
        return record
    q = c.query.profile
    record.update(judged_question=q.text, yes_no=q.yes_no, open=q.open, plausible=pipeline.implausible(q, c.units) is None,
                  strict=any(s for s, _ in q.wanted))
    # Every candidate's rank features and facts, for learning the rank weights (no judge needed).
    record["ranked"] = [{"f": {k: round(v, 4) for k, v in u.features.items()}, "passage": u.passage,
                         "facts": [i for i, group in enumerate(item.key_facts)
                                   if fact_found(group, judge_text(u, c.passages, q.open), item.patterns)]}
                        for u in c.units]
    judge = pipeline.judge
    removed: list = []
    top = judge_scores(judge, q, c.units, c.passages, removed, rules=pipeline.rules)
    plain = {id(u): u.judged for u in top}
    if context:
        judge_scores(judge, q, c.units, c.passages, [], context=True, rules=pipeline.rules)
    best = c.units[0]
    surest = max(plain.values(), default=None)
    surest_context = max((u.judged for u in top), default=None)
    record["units"] = [unit_record(unit, rank, c, q, item, plain, surest) for rank, unit in
                       enumerate(c.units[:JUDGE_CANDIDATES])]
    if context:
        for u, unit in zip(record["units"], c.units):
            p_context = unit.judged if id(unit) in plain else None
            u["p_context"] = p_context
            u["x_context"] = selection_features(unit, u["rank"], best, q, p_context, surest_context)
    if more:  # the next ranked units, judged too: what a larger RAG_JUDGE_CANDIDATES would read
        later = judge_scores(judge, q, c.units, c.passages, [], rules=pipeline.rules,
                             ranks=slice(JUDGE_CANDIDATES, JUDGE_CANDIDATES + more))
        judged = {id(u): u.judged for u in later}
        record["more"] = [unit_record(unit, rank, c, q, item, judged, surest) for rank, unit in
                          enumerate(c.units[JUDGE_CANDIDATES:JUDGE_CANDIDATES + more], JUDGE_CANDIDATES)]
    return record


def unit_record(unit, rank: int, c, q, item: GoldItem, judged: dict, surest: float | None) -> dict:
    """One ranked unit as collected: its texts, the judge's verdict (None: rejected before the judge), its
    selection features and the key facts it states."""
    read = judge_text(unit, c.passages, q.open)
    p = judged.get(id(unit))
    return {
        "rank": rank, "text": unit.text[:300], "read": read, "doc": c.passages[unit.passage - 1].doc_id,
        "p": p, "p_context": None, "pre_rejected": id(unit) not in judged,
        "x": selection_features(unit, rank, c.units[0], q, p, surest),
        "hand_features": {"window_coverage": unit.features.get("window_coverage", 0.0),
                          "answer_type": unit.features.get("answer_type", 0.0),
                          "strict": any(s for s, _ in q.wanted), "explains": q.explains},
        "facts_found": [i for i, group in enumerate(item.key_facts) if fact_found(group, read, item.patterns)],
    }


def collect(out: Path, sets_dir: Path, context: bool = False, more: int = 0) -> None:
    settings = Settings.from_env()
    main = Assistant(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        def write(assistant: Assistant, items: list[GoldItem], name: str) -> None:
            for item in items:
                f.write(json.dumps(question_record(assistant, item, name, context, more)) + "\n")
                f.flush()
            print(f"{name}: {len(items)} questions", file=sys.stderr)

        write(main, load_gold(corpus_dir=settings.corpus_dir), BUNDLED)
        for eval_set in discover_sets(sets_dir):
            with tempfile.TemporaryDirectory(prefix=f"rag-select-{eval_set.name}-") as index_dir:
                with Assistant(settings.replace(corpus_dir=eval_set.corpus_dir, index_dir=Path(index_dir),
                                                chroma_url=None, lexical_url=None), judge=main.judge()) as assistant:
                    assistant.index()
                    write(assistant, load_set_items(eval_set), eval_set.name)


# --- compare ----------------------------------------------------------------------------------------

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
    from rag.answer.evidence import MISSING_STRICT_TYPE

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
    the raw feature scale (so they drop into rag.answer.evidence.WEIGHTS as they are)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from rag.answer.evidence import WEIGHTS

    names = list(WEIGHTS)
    x = np.array([[u["f"].get(n, 0.0) for n in names] for r in records for u in r["ranked"]])
    y = np.array([int(bool(u["facts"])) for r in records for u in r["ranked"]])
    model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return dict(zip(names, (float(v) for v in model.coef_[0])))


def rank_table(pairs: list[dict]) -> None:
    from rag.answer.evidence import WEIGHTS

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


# --- the judge's budget (RAG_JUDGE_CANDIDATES) ---------------------------------------------------------

def first_read(record: dict, count: int) -> dict:
    """The record as the answer path sees it when the judge reads its ``count`` best-ranked units (the
    collected candidates and, past them, the units ``collect --more`` judged too); the judge's gap measured
    against the surest of those."""
    from rag.answer.selection import judge_gap

    units = [dict(u, x=dict(u["x"])) for u in record["units"] + record.get("more", [])
             if u["rank"] < count and not u["pre_rejected"]]
    surest = max((u["p"] for u in units), default=None)
    for u in units:
        u["x"]["judge_gap"] = judge_gap(u["p"], surest)
    return {**record, "units": units, "more": []}


def candidates_table(records: list[dict]) -> None:
    """Held out, per set: the selector fitted on the other sets' 3 judged units, the judge reading the 1 to
    3 + N best units of the set's questions (N: what ``collect --more N`` judged), with the reads it costs."""
    most = JUDGE_CANDIDATES + min(len(r.get("more", [])) for r in records)
    sets = list(dict.fromkeys(r["set"] for r in records))
    models = {s: fit([first_read(r, JUDGE_CANDIDATES) for r in records if r["set"] != s], "x", FEATURES, C)
              for s in sets}
    print(f"\nthe judge's budget (RAG_JUDGE_CANDIDATES), held out; {len(records)} judged questions")
    print("mean of the sets: answerable answered, unanswerable abstained (proxy); answerable per set")
    print(f"{'units read':>10}  {'reads':>5}  answerable  unanswerable  " + " ".join(f"{s[:9]:>9}" for s in sets))
    for count in range(1, most + 1):
        scored = {s: per_set([first_read(r, count) for r in records if r["set"] == s], decider(models[s]))[s]
                  for s in sets}
        right = {k: [v[k] for v in scored.values() if v[k] is not None] for k in ("answerable", "unanswerable")}
        reads = sum(len(first_read(r, count)["units"]) for r in records) / len(records)
        print(f"{count:>10}  {reads:5.2f}  {sum(right['answerable']) / len(right['answerable']):10.3f}  "
              f"{sum(right['unanswerable']) / len(right['unanswerable']):12.3f}  "
              + " ".join(f"{fmt(scored[s]['answerable']):>9}" for s in sets))


def compare(args) -> int:
    pairs = load_pairs(args.pairs)
    rank_table(pairs)
    records = judged_questions(pairs)
    if all(r.get("more") is not None for r in records):
        candidates_table(records)
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
    and how each set scored with it fitted on the others; the pairs it was fitted on kept beside the eval
    (``eval/selection_pairs.jsonl.gz``) for ``python -m eval --cross``."""
    pairs = load_pairs(args.pairs)
    data = selector_data(pairs, args.c)
    write_selector(data, args.out)
    if args.pairs != PAIRS_FILE:
        write_pairs(pairs, PAIRS_FILE)
    print(f"wrote {args.out} and {PAIRS_FILE}: held out {data['held_out_mean']}, the bars {data['bars_mean']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.selection", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="run every eval question up to the judge and label its units")
    c.add_argument("--out", type=Path, default=COLLECTED)
    c.add_argument("--sets", type=Path, default=DEFAULT_SETS_DIR)
    c.add_argument("--context", action="store_true",
                   help="also judge each unit with the sentence before it (doubles the judge's time)")
    c.add_argument("--more", type=int, default=0, metavar="N",
                   help="also judge the N units ranked after the judge's candidates (kept as 'more')")
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
        collect(args.out, args.sets, args.context, args.more)
        return 0
    return compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
