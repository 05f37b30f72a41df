"""python -m eval: run the gold set against the assistant with the current settings."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag import Assistant, Settings

from .gold import GOLD_FILE, TYPES, load_gold
from .run import format_table, run, shorten, summarize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("--backend", choices=["local", "openai", "openai-compatible"])
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--only", choices=TYPES, help="only questions of this type")
    parser.add_argument("--gold", type=Path, default=GOLD_FILE, help="the gold set (default: eval/gold.jsonl)")
    parser.add_argument("--json", action="store_true", help="print the per-question results as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every answer")
    args = parser.parse_args(argv)

    items = load_gold(args.gold)
    if args.only:
        items = [i for i in items if i.type == args.only]
    if args.limit:
        items = items[: args.limit]
    assistant = Assistant(Settings.from_env(backend=args.backend))
    results = run(assistant, items, progress=sys.stderr.isatty())
    summary = summarize(results)
    if args.json:
        print(json.dumps({"summary": summary, "results": [r.__dict__ for r in results]}, indent=2, default=str))
        return 0
    print(format_table(results, summary))
    if args.verbose:
        for r in results:
            print(f"\n{r.id} {r.question}\n  -> {shorten(r.answer, 400)}")
            for c in r.citations:
                print(f"     [{c['marker']}] {c['doc_id']}: {shorten(c['quote'], 120)}")
            if r.facts_missing:
                print(f"     missing: {r.facts_missing}")
            for sentence, why in r.removed_by_guard:
                print(f"     guard removed ({why}): {shorten(sentence, 120)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
