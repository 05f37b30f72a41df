"""Judge calibration: what the bundled judge says about the best-ranked candidates of every eval set.

    python -m bench.judge_calibration [--top 6] [--out .cache/judge_calibration.jsonl]

For each question of the bundled gold set and of every set in ../shared/eval-sets, the pipeline's own
retrieval and ranking run, and the judge scores the ``--top`` best units. Each unit is labelled with the
share of the question's key facts (gold regexes) it states. One JSON line per question: P(answered),
the rank features and the label of each unit, from which a decision rule (threshold, weak accept) is
scored per set. Session 6's reading of it is in the README ("The judge's ceiling").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from eval.gold import load_gold
from eval.metrics import fact_found
from eval.sets import DEFAULT_SETS_DIR, discover_sets, load_set_items
from rag import Assistant
from rag.question import profile_question
from rag.presence import judge_text
from rag.settings import Settings


def records(assistant: Assistant, items, name: str, top: int):
    engine = assistant.engine()
    judge = assistant.judge()
    for item in items:
        if item.history:
            continue
        hits = engine.retriever.search(item.question)
        passages = [h.chunk for h in hits]
        q = profile_question(item.question, engine.lexical)
        units = engine.rank(q, hits)[:top]
        started = time.perf_counter()
        scores = judge.answers(item.question, [judge_text(u, passages) for u in units]) if units else []
        seconds = time.perf_counter() - started
        out = []
        for u, p in zip(units, scores):
            facts = [fact_found(group, u.text, item.patterns) for group in item.key_facts]
            out.append({"text": u.text, "p": p, "score": u.score, "features": u.features,
                        "facts": sum(facts) / len(facts) if facts else 0.0,
                        "doc": passages[u.passage - 1].doc_id})
        yield {"set": name, "id": item.id, "question": item.question, "answerable": item.answerable,
               "yes_no": q.yes_no, "units": out, "judge_seconds": seconds}


def collect(args) -> None:
    base = Settings.from_env()
    main = Assistant(base)
    with open(args.out, "w") as out:
        def write(assistant, items, name):
            for r in records(assistant, items, name, args.top):
                out.write(json.dumps(r) + "\n")
                out.flush()
                print(name, r["id"], file=sys.stderr)

        write(main, load_gold(), "bundled")
        for eval_set in discover_sets(Path(args.sets)):
            with tempfile.TemporaryDirectory() as index_dir:
                settings = base.replace(corpus_dir=eval_set.corpus_dir, index_dir=Path(index_dir), chroma_url=None,
                                        lexical_url=None)
                assistant = Assistant(settings, judge=main.judge())
                assistant.index()
                write(assistant, load_set_items(eval_set), eval_set.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--sets", default=str(DEFAULT_SETS_DIR))
    parser.add_argument("--out", default=".cache/judge_calibration.jsonl")
    args = parser.parse_args(argv)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    collect(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
