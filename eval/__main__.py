"""python -m eval: run the gold set against the assistant with the current settings and write a report.

    python -m eval                       # offline defaults; table + eval/reports/<timestamp>/
    python -m eval --baseline            # also LlamaIndex's stock CitationQueryEngine, side by side
    python -m eval --check               # exit 1 when a metric misses eval/thresholds.toml
    python -m eval --judge-accuracy      # the judge against the labelled claim/passage pairs
    python -m eval --compare DIR DIR     # side-by-side summary of earlier reports
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from rag import Assistant, Settings, SettingsError

from .gold import GOLD_FILE, TYPES, GoldError, load_gold
from .judge import LLMJudge, judge_accuracy, load_judge_set
from .metrics import failures, summarize
from .report import REPORTS, check_thresholds, compare, new_report_dir, terminal_table, write_report
from .run import default_judge, run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["local", "openai", "openai-compatible"],
                        help="answer backend (default: RAG_BACKEND, else local)")
    parser.add_argument("--gold", type=Path, default=GOLD_FILE, help="the gold set (default: eval/gold.jsonl)")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--only", choices=TYPES, help="only questions of this type")
    parser.add_argument("--baseline", action="store_true",
                        help="also run LlamaIndex's CitationQueryEngine over the same index and model")
    parser.add_argument("--judge", choices=["lexical", "llm"], default="lexical",
                        help="lexical: offline, deterministic (default); llm: RAG_JUDGE_MODEL via the openai client")
    parser.add_argument("--check", action="store_true", help="exit 1 when a metric misses eval/thresholds.toml")
    parser.add_argument("--thresholds", type=Path, default=None, help="thresholds file for --check")
    parser.add_argument("--judge-accuracy", action="store_true",
                        help="score the judge on eval/judge_set.jsonl and exit")
    parser.add_argument("--compare", nargs="+", type=Path, metavar="REPORT_DIR",
                        help="print a side-by-side summary of earlier reports and exit")
    parser.add_argument("--out", type=Path, default=REPORTS, help="where report folders go (default: eval/reports)")
    parser.add_argument("--no-report", action="store_true", help="print the table only")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every answer and failure")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        print(compare(args.compare))
        return 0
    try:
        settings = Settings.from_env(backend=args.backend)
        items = load_gold(args.gold, settings.corpus_dir)
    except (SettingsError, GoldError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assistant = Assistant(settings)
    try:
        judge = LLMJudge.from_env(settings) if args.judge == "llm" else default_judge(assistant)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.judge_accuracy:
        report = judge_accuracy(judge, load_judge_set())
        print(json.dumps(report, indent=2))
        return 0

    if args.only:
        items = [i for i in items if i.type == args.only]
    if args.limit:
        items = items[: args.limit]
    started = datetime.now().isoformat(timespec="seconds")
    progress = sys.stderr.isatty()
    runs = {"assistant": run(assistant, items, judge, progress=progress, label="assistant")}
    if args.baseline:
        from .baseline import baseline_answerer

        runs["baseline"] = run(assistant, items, judge, answerer=baseline_answerer(assistant),
                               progress=progress, label="baseline")

    accuracy = judge_accuracy(judge, load_judge_set())  # how far to trust this run's verdicts
    meta = {"started": started, "gold": str(args.gold.name), "questions": len(items),
            "judge": f"{args.judge} (accuracy {accuracy['accuracy']:.2f} on {accuracy['cases']} labelled pairs)",
            "settings": f"backend={settings.backend}, top_k={settings.top_k}, hybrid={settings.hybrid}"}
    summaries = {}
    for name, results in runs.items():
        summaries[name] = summarize(results)
        if not args.json:
            print(f"\n== {name} ==")
            print(terminal_table(results, summaries[name]))
    if not args.no_report:
        folder = new_report_dir(args.out)
        write_report(folder, runs, meta)
        print(f"\nreport: {folder / 'report.html'}  (also report.md, results.json, metrics.png)")
    if args.json:
        print(json.dumps(summaries, indent=2))
    if args.verbose:
        for name, results in runs.items():
            print(f"\n== {name}: failures ==")
            for f in failures(results):
                print(f"{f['id']:<5} {f['kind']}: {f['detail']}")
    if args.check:
        problems = check_thresholds(summaries["assistant"], args.thresholds or Path(__file__).parent / "thresholds.toml")
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print("eval gate: " + ("FAILED" if problems else "passed"), file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
