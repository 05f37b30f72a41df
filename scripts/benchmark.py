"""Speed and memory figures on this machine (not a test: it prints numbers and ratios).

    .venv/bin/python scripts/benchmark.py [--corpus DIR] [--repeat N]

Measures, on a fresh temporary index: index build time, the first (cold) answer, warm answer latency
over the gold questions (p50 / p95), time to the first streamed piece, re-index with nothing changed,
and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.gold import load_gold  # noqa: E402
from rag import Assistant, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the gold questions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(corpus_dir=args.corpus, index_dir=Path(tmp) / "index")
        assistant = Assistant(settings)
        started = time.perf_counter()
        report = assistant.index()
        build = time.perf_counter() - started
        started = time.perf_counter()
        assistant.index()
        noop = time.perf_counter() - started

        started = time.perf_counter()
        assistant.ask("Did China deny the freeze?")
        cold = time.perf_counter() - started

        items = load_gold(corpus_dir=args.corpus) if args.corpus == ROOT / "corpus" else []
        questions = [(i.question, i.history or None) for i in items] or [("Did China deny the freeze?", None)]
        times, first_piece = [], []
        for _ in range(args.repeat):
            for question, history in questions:
                started = time.perf_counter()
                assistant.ask(question, history)
                times.append(time.perf_counter() - started)
        for question, history in questions:
            started = time.perf_counter()
            next(iter(assistant.stream(question, history)), None)
            first_piece.append(time.perf_counter() - started)

    times.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p95 = times[len(times) // 2], times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"corpus                       {args.corpus} ({len(report.added)} documents, {report.chunks} chunks)")
    print(f"index build                  {build:.2f} s")
    print(f"re-index, nothing changed    {noop:.3f} s  ({build / max(noop, 1e-9):.0f}x faster than a build)")
    print(f"first answer (cold)          {cold:.2f} s")
    print(f"answers, warm ({len(times)})        p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"mean {statistics.mean(times) * 1000:.0f} ms")
    print(f"first streamed piece         p50 {statistics.median(first_piece) * 1000:.0f} ms")
    print(f"cold / warm p50              {cold / p50:.0f}x")
    print(f"peak memory (RSS)            {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
