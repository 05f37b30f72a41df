"""What a judge verdict costs and what it buys: judge variants rescored on the eval pool's collected pairs.

    python -m bench.selection collect            # first: every pool question's judged units, labelled
    python -m bench.judge_cost score VARIANT...  # rescore them with each variant (~8-25 min each on 2 cores)
    python -m bench.judge_cost compare           # seconds: the tables

A variant is a judge configuration: the model (the bundled 1.5B, or ``--small PATH``: another GGUF such as
Qwen2.5-Coder-0.5B) and the answer prompt (``prompts/judge_answer.txt``, or the same words with the question
before the text, so that the system prompt, the question and the instructions are evaluated once per
question and kept in llama.cpp's KV cache, and each candidate costs only its own tokens):

    big            the answer path's judge as it is
    big-first      the 1.5B, question first
    small          the small model, the answer path's prompt
    small-first    the small model, question first

Each judged unit of each judged question (as ``bench.selection`` collected them) is read by the variant as
the answer path reads it (one call per candidate, in rank order); its P(answered), prompt tokens and seconds
go to ``.cache/judge_cost/VARIANT.jsonl``. ``compare`` reports, per variant and per set, the eval's proxy
(``bench.selection``: an answerable question counts when the kept units state every key fact, an
unanswerable one when none is kept) with the judge's bars as set and with RAG_JUDGE_THRESHOLD chosen on the
other sets (leave one set out), the AUC of P(answered) for "the unit states a key fact", the verdicts that
differ from the answer path's at the bar, and the judge's tokens and seconds per question. Then the cascade:
the small variant decides a unit when it is sure (P below ``lo`` or above ``hi``), the big one reads the
rest; ``lo``/``hi`` chosen on the other sets as the cheapest pair whose objective is within ``TOLERANCE`` of
the big judge alone there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rag import Settings
from rag.models.judge import LlamaJudge
from rag.paths import PROMPTS, cache_home
from rag.prompts import Prompts

from bench.selection import PAIRS, fmt, hand_rule, judged_questions, load_pairs, objective, per_set

OUT = cache_home() / "judge_cost"
VARIANTS = ("big", "big-first", "small", "small-first")
# The objective (bench.selection.objective) a cheaper judge may give up against the big one on the sets
# it is chosen on: about one question in a set of 60.
TOLERANCE = 0.005


def question_first(folder: Path) -> Prompts:
    """The answer prompt with the question and the instructions before the text (same words)."""
    for f in PROMPTS.glob("*.txt"):
        shutil.copy(f, folder / f.name)
    system, _, _ = (PROMPTS / "judge_answer.txt").read_text(encoding="utf-8").partition("\n---\n")
    (folder / "judge_answer.txt").write_text(
        system.strip() + "\n---\nQuestion: {question}\n\nAnswer in a few words from the text (yes or no, if the "
        'question asks yes or no), or reply "unknown".\n\nText: {candidate}\n', encoding="utf-8")
    return Prompts(folder)


def judge_for(variant: str, small: Path | None, folder: Path) -> LlamaJudge:
    settings = Settings.from_env()
    if variant.startswith("small"):
        if small is None:
            raise SystemExit("the small variants need --small PATH (a GGUF instruct model)")
        settings = settings.replace(judge_model_path=small)
    return LlamaJudge(settings, question_first(folder) if variant.endswith("-first") else Prompts())


def score(variant: str, small: Path | None, every: int, resume: bool = False) -> None:
    """Rescores every ``every``-th judged question (``resume``: those not scored yet) with the variant."""
    done = load_scores(variant) if resume else {}
    records = [r for r in judged_questions(load_pairs(PAIRS))[::every] if (r["set"], r["id"]) not in done]
    OUT.mkdir(parents=True, exist_ok=True)
    with (tempfile.TemporaryDirectory() as folder,
          (OUT / f"{variant}.jsonl").open("a" if resume else "w", encoding="utf-8") as out):
        judge = judge_for(variant, small, Path(folder))
        judge.answers("warm-up", ["The model is loaded first."])
        for n, r in enumerate(records, 1):
            units = []
            for u in r["units"]:
                if u["pre_rejected"]:
                    continue
                started = time.perf_counter()
                verdicts = judge.answers(r["judged_question"], [u["read"]])
                units.append({"rank": u["rank"], "p": verdicts[0], "tokens": verdicts.tokens,
                              "seconds": time.perf_counter() - started})
            out.write(json.dumps({"set": r["set"], "id": r["id"], "units": units}) + "\n")
            out.flush()
            if n % 20 == 0:
                print(f"{variant}: {n}/{len(records)}", file=sys.stderr, flush=True)


def with_scores(records: list[dict], scored: dict[tuple, dict]) -> list[dict]:
    """The records whose questions the variant scored, each unit's P(answered) replaced by the variant's."""
    out = []
    for r in records:
        s = scored.get((r["set"], r["id"]))
        if s is None:
            continue
        by_rank = {u["rank"]: u for u in s["units"]}
        out.append({**r, "units": [{**u, "p": by_rank[u["rank"]]["p"]} if u["rank"] in by_rank else u
                                   for u in r["units"]]})
    return out


def auc(records: list[dict]) -> float:
    from sklearn.metrics import roc_auc_score

    pairs = [(u["p"], int(r["answerable"] and bool(u["facts_found"]))) for r in records for u in r["units"]
             if not u["pre_rejected"] and u["p"] is not None]
    return float(roc_auc_score([y for _, y in pairs], [p for p, _ in pairs]))


def thresholds_held_out(records: list[dict]) -> dict[str, dict]:
    """Per set, the proxy with RAG_JUDGE_THRESHOLD chosen on the other sets."""
    grid = [round(0.05 + 0.025 * i, 3) for i in range(18)]

    def rule(t):
        return lambda r: [u for u in r["units"] if hand_rule(u, t)]

    out = {}
    for name in dict.fromkeys(r["set"] for r in records):
        chosen = max(grid, key=lambda t: objective([r for r in records if r["set"] != name], rule(t)))
        out[name] = {**per_set([r for r in records if r["set"] == name], rule(chosen))[name], "threshold": chosen}
    return out


def means(table: dict[str, dict]) -> tuple[float, float]:
    """The answerable and unanswerable shares, each set weighing the same (nan where no set has any)."""
    a = [v["answerable"] for v in table.values() if v["answerable"] is not None]
    u = [v["unanswerable"] for v in table.values() if v["unanswerable"] is not None]
    return (sum(a) / len(a) if a else float("nan")), (sum(u) / len(u) if u else float("nan"))


def cascade(records: list[dict], small: dict, big: dict, lo: float, hi: float) -> tuple[list[dict], int]:
    """The records with P(answered) from the small judge where it is sure, else the big one's; the tokens."""
    out, tokens = [], 0
    for r in records:
        key = (r["set"], r["id"])
        s = {u["rank"]: u for u in small[key]["units"]}
        b = {u["rank"]: u for u in big[key]["units"]}
        units = []
        for u in r["units"]:
            if u["rank"] not in s:
                units.append(u)
                continue
            sure = s[u["rank"]]["p"] < lo or s[u["rank"]]["p"] > hi
            tokens += s[u["rank"]]["tokens"] + (0 if sure else b[u["rank"]]["tokens"])
            units.append({**u, "p": s[u["rank"]]["p"] if sure else b[u["rank"]]["p"]})
        out.append({**r, "units": units})
    return out, tokens


def rule_at_bar(r: dict) -> list[dict]:
    return [u for u in r["units"] if hand_rule(u)]


def cascade_held_out(records: list[dict], small: dict, big: dict) -> tuple[dict, float, dict]:
    """Per set: the cascade's proxy with (lo, hi) chosen on the other sets; the share of units the big
    judge still reads; the pairs chosen."""
    grid = [(lo, hi) for lo in (0.0, 0.01, 0.02, 0.05, 0.1) for hi in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01) if lo < hi]
    records = [r for r in records if (r["set"], r["id"]) in small and (r["set"], r["id"]) in big]
    out, chosen, read = {}, {}, []
    for name in dict.fromkeys(r["set"] for r in records):
        train = [r for r in records if r["set"] != name]
        target = objective(with_scores(train, big), rule_at_bar) - TOLERANCE
        options = []
        for lo, hi in grid:
            mixed, tokens = cascade(train, small, big, lo, hi)
            if objective(mixed, rule_at_bar) >= target:
                options.append((tokens, lo, hi))
        _, lo, hi = min(options) if options else (0, 0.0, 1.01)
        test = [r for r in records if r["set"] == name]
        mixed, _ = cascade(test, small, big, lo, hi)
        out[name] = per_set(mixed, rule_at_bar)[name]
        chosen[name] = (lo, hi)
        for r in test:
            s = {u["rank"]: u["p"] for u in small[(r["set"], r["id"])]["units"]}
            read += [not (p < lo or p > hi) for p in s.values()]
    return out, sum(read) / len(read) if read else 0.0, chosen


def load_scores(variant: str) -> dict[tuple, dict]:
    path = OUT / f"{variant}.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["set"], r["id"]): r for r in rows}


def compare() -> None:
    records = judged_questions(load_pairs(PAIRS))
    scores = {v: load_scores(v) for v in VARIANTS}
    scores = {v: s for v, s in scores.items() if s}
    print(f"{len(records)} judged questions; variants scored: "
          + ", ".join(f"{v} ({len(s)} questions)" for v, s in scores.items()))
    print("\nvariant       questions  answerable (bar)  unanswerable (bar)  answerable held out  unanswerable held out"
          "  AUC    verdicts unlike the answer path  tokens/question p50  seconds/question p50 / p95  tokens/s")
    for variant, scored in scores.items():
        mine = with_scores(records, scored)
        at_bar = per_set(mine, rule_at_bar)
        held = thresholds_held_out(mine)
        base = {(r["set"], r["id"]): r for r in records}
        flips = sum(hand_rule(u) != hand_rule(b) for r in mine
                    for u, b in zip(r["units"], base[(r["set"], r["id"])]["units"]) if not u["pre_rejected"])
        units = sum(1 for r in mine for u in r["units"] if not u["pre_rejected"])
        tokens = [sum(u["tokens"] for u in s["units"]) for s in scored.values()]
        seconds = sorted(sum(u["seconds"] for u in s["units"]) for s in scored.values())
        p95 = seconds[min(len(seconds) - 1, int(round(0.95 * len(seconds))) - 1)]
        a, u = means(at_bar)
        ha, hu = means(held)
        print(f"{variant:<13} {len(mine):>9}  {a:>16.3f}  {u:>18.3f}  {ha:>19.3f}  {hu:>21.3f}  {auc(mine):.3f}  "
              f"{flips:>4} of {units:<27} {statistics.median(tokens):>19.0f}  "
              f"{statistics.median(seconds):>13.2f} / {p95:.2f}  {sum(tokens) / sum(seconds):>8.0f}")
        print("   per set (answerable, unanswerable at the bar): " + ", ".join(
            f"{n} {fmt(v['answerable'])}/{fmt(v['unanswerable'])}" for n, v in at_bar.items()))
    print("\nfewer candidates (the answer path's verdicts; JUDGE_CANDIDATES is 3):")
    for n in (1, 2, 3):
        fewer = [{**r, "units": [u for u in r["units"] if u["rank"] < n]} for r in records]
        a, u = means(per_set(fewer, rule_at_bar))
        read = sum(1 for r in fewer for u in r["units"] if not u["pre_rejected"])
        print(f"   the best {n}: answerable {a:.3f}, unanswerable {u:.3f} (means of the sets), {read} units read; "
              + ", ".join(f"{name} {fmt(v['answerable'])}" for name, v in per_set(fewer, rule_at_bar).items()))
    for small_variant, big_variant in (("small", "big"), ("small-first", "big-first"), ("small-first", "big")):
        if small_variant in scores and big_variant in scores:
            result, share, chosen = cascade_held_out(records, scores[small_variant], scores[big_variant])
            a, u = means(result)
            print(f"\ncascade {small_variant} -> {big_variant}, (lo, hi) chosen on the other sets: answerable "
                  f"{a:.3f}, unanswerable {u:.3f} (held out, means of the sets); the big judge reads "
                  f"{100 * share:.0f}% of the units; chosen: " + ", ".join(f"{n} {lh}" for n, lh in chosen.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.judge_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="rescore the collected pairs with judge variants")
    s.add_argument("variants", nargs="+", choices=VARIANTS)
    s.add_argument("--small", type=Path, help="the small variants' GGUF (e.g. Qwen2.5-Coder-0.5B-Instruct)")
    s.add_argument("--every", type=int, default=1, help="score every Nth judged question only")
    s.add_argument("--resume", action="store_true", help="score only the questions not scored yet")
    sub.add_parser("compare", help="the variants' tables")
    args = parser.parse_args(argv)
    if args.command == "score":
        for variant in args.variants:
            score(variant, args.small, args.every, args.resume)
        return 0
    compare()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
