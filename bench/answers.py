"""Answer time as users get it: the judge on (the default), next to the judge off (``RAG_FAST=true``).

    python -m bench.answers                      # the bundled gold set and every eval-pool set: ~40 min on 2 cores
    python -m bench.answers --sets bundled       # the bundled corpus alone: ~6 min
    python -m bench.answers --per-set 8          # the bundled set and the first 8 questions of each pool set: ~25 min

Every question of the bundled gold set and of the pool's sets (``../shared/eval-sets``, each indexed from
scratch in a temporary folder) is asked through ``Assistant.ask`` with the judge on, then once more with
it off, in one process (one judge model, loaded before the first question; each corpus gets one warm-up
question, not counted). Reported: p50 / p95 / max per question kind (as ``Answer.kind`` says, follow-ups
apart), per set and pooled; the judge's prompt tokens per question and its reading speed; and the slowest
questions with where their time went (``Answer.timings``: understand, retrieve, widen, rank, judge,
expand, compose). Figures go to ``bench/answers.json`` and ``docs/answer-time.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rag import Assistant, Settings

from bench.__main__ import machine
from eval.gold import GoldItem, load_gold
from eval.sets import DEFAULT_SETS_DIR, discover_sets, load_set_items

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = "bundled"
KINDS = ("factoid", "open", "yes/no", "follow-up", "comparison", "catalog")  # the table's row order
SLOWEST = 5


def question_kind(answer, item: GoldItem) -> str:
    """The row a question counts in: its answer's kind, a follow-up (asked with its dialog) apart."""
    return "follow-up" if item.history else (answer.kind or "factoid")


WARM_UP = "What is the first thing the documents report?"


def measure(assistant: Assistant, items: list[GoldItem], name: str) -> list[dict]:
    """Each question asked judge on, then judge off; a warm-up question first, not counted."""
    fast = assistant.derive(fast=True)
    if items:  # a question of its own: the judge remembers its verdicts, a measured one asked twice costs nothing
        assistant.ask(WARM_UP)
        fast.ask(WARM_UP)
    rows = []
    for item in items:
        on = assistant.ask(item.question, item.history or None)
        off = fast.ask(item.question, item.history or None)
        rows.append({"set": name, "id": item.id, "question": item.question, "kind": question_kind(on, item),
                     "on": on.seconds, "off": off.seconds, "judge_tokens": on.judge_tokens,
                     "timings": {k: round(v, 4) for k, v in on.timings.items()}, "abstained": on.abstained})
        print(f"{name} {item.id}: {on.seconds:.2f} s on, {off.seconds:.3f} s off, {on.judge_tokens} judge tokens",
              file=sys.stderr, flush=True)
    return rows


def spread(seconds: list[float]) -> dict:
    """p50 / p95 (nearest rank) / max, in seconds."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]
    return {"n": len(ordered), "p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def summarise(rows: list[dict]) -> dict:
    def group(key) -> dict:  # kinds in KINDS' order, sets as they were asked
        names = sorted(dict.fromkeys(key(r) for r in rows), key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS))
        return {n: {"on": spread([r["on"] for r in rows if key(r) == n]),
                    "off": spread([r["off"] for r in rows if key(r) == n])} for n in names}

    judged = [r for r in rows if r["judge_tokens"]]
    judge_seconds = sum(r["timings"].get("judge", 0.0) for r in judged)
    return {
        "kinds": group(lambda r: r["kind"]),
        "sets": group(lambda r: r["set"]),
        "pooled": {"on": spread([r["on"] for r in rows]), "off": spread([r["off"] for r in rows])},
        "judge_tokens": spread([float(r["judge_tokens"]) for r in judged]),
        "judge_tokens_per_second": sum(r["judge_tokens"] for r in judged) / judge_seconds if judge_seconds else 0.0,
        "judge_share": judge_seconds / sum(r["on"] for r in rows) if rows else 0.0,
        "slowest": sorted(rows, key=lambda r: -r["on"])[:SLOWEST],
    }


def markdown(summary: dict, about: dict) -> str:
    def cells(s: dict) -> str:
        return f"{s['p50']:.2f} / {s['p95']:.2f} / {s['max']:.2f}" if s else "–"

    def table(title: str, groups: dict) -> list[str]:
        out = [f"| {title} | questions | judge on: p50 / p95 / max s | judge off: p50 / p95 / max s |",
               "| --- | --- | --- | --- |"]
        out += [f"| {name} | {g['on']['n']} | {cells(g['on'])} | {cells(g['off'])} |" for name, g in groups.items()]
        return out

    t = summary["judge_tokens"]
    lines = ["# Answer time (judge on, as users get it)", "",
             f"`python -m bench.answers` on {about['when']}: {about['machine']['cpu']}, {about['machine']['cores']} "
             f"cores, load average {about['machine']['load_before'][0]:.2f} before and "
             f"{about['load_after'][0]:.2f} after (the machine is shared: figures move with its load). Each question "
             "through `Assistant.ask`, the judge on (the default) and then off (`RAG_FAST=true`); one warm-up "
             "question per corpus not counted.", "",
             *table("question kind", summary["kinds"]), "",
             *table("set", summary["sets"]), "",
             f"Pooled: judge on {cells(summary['pooled']['on'])} s, off {cells(summary['pooled']['off'])} s. The "
             f"judge's time is {100 * summary['judge_share']:.0f}% of the answer time; it reads "
             f"{t.get('p50', 0):.0f} prompt tokens per judged question (p50; p95 {t.get('p95', 0):.0f}) at "
             f"{summary['judge_tokens_per_second']:.0f} tokens/s.", "",
             "Slowest questions, judge on, and where their time went (seconds):", "",
             "| set | question | kind | seconds | stages | judge tokens |", "| --- | --- | --- | --- | --- | --- |"]
    for r in summary["slowest"]:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items() if v >= 0.01)
        lines.append(f"| {r['set']} | {r['question'][:70]} | {r['kind']} | {r['on']:.2f} | {stages} | {r['judge_tokens']} |")
    lines += ["", "Cheaper judges measured against this one (a question-first prompt, the 0.5B model, fewer candidates): "
              "`python -m bench.judge_cost`, figures in bench/notes.md."]
    return "\n".join(lines) + "\n"


def corpora(names: list[str] | None, sets_dir: Path):
    """(name, corpus folder or None for the configured one, its questions), in the pool's order."""
    settings = Settings.from_env()
    if names is None or BUNDLED in names:
        yield BUNDLED, None, load_gold(corpus_dir=settings.corpus_dir)
    for eval_set in discover_sets(sets_dir):
        if names is None or eval_set.name in names:
            yield eval_set.name, eval_set.corpus_dir, load_set_items(eval_set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", help="comma-separated set names ('bundled' for the bundled corpus); default all")
    parser.add_argument("--per-set", type=int, default=0,
                        help="ask only the first N questions of each pool set (0: all; the bundled set is asked whole)")
    parser.add_argument("--sets-dir", type=Path, default=DEFAULT_SETS_DIR)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "answers.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "answer-time.md")
    args = parser.parse_args()
    names = args.sets.split(",") if args.sets else None
    about = {"machine": machine(), "when": time.strftime("%Y-%m-%d")}
    settings = Settings.from_env()
    main_assistant = Assistant(settings)
    main_assistant.judge()  # the model loaded before the first timed question
    rows: list[dict] = []
    for name, corpus_dir, items in corpora(names, args.sets_dir):
        items = items[: args.per_set] if args.per_set and name != BUNDLED else items
        if corpus_dir is None:
            main_assistant.index()
            rows += measure(main_assistant, items, name)
            continue
        with tempfile.TemporaryDirectory(prefix=f"rag-answers-{name}-") as index_dir:
            with Assistant(settings.replace(corpus_dir=corpus_dir, index_dir=Path(index_dir), chroma_url=None,
                                            lexical_url=None), judge=main_assistant.judge()) as assistant:
                assistant.index()
                rows += measure(assistant, items, name)
    about["load_after"] = os.getloadavg()
    summary = summarise(rows)
    args.results.write_text(json.dumps({"about": about, "summary": summary, "questions": rows}, indent=1))
    text = markdown(summary, about)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
