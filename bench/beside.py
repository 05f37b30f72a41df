"""A question asked while an ingest runs, against the same question alone: ``python -m bench.beside``.

The offline defaults (judge on) over a copy of the bundled corpus. Each mode indexes the five articles,
then starts an ingest of ``--copies`` copies of them in a thread and asks the questions while it runs:
"questions first" is the default (the ingest waits while a question is answered,
``RAG_INGEST_YIELD_SECONDS``), "shared cores" the same with the wait off (0). Prints the times, their
ratio to the times alone, and the ingest's own time. Run it on a quiet machine: it reports ratios
from one run, as the README asks of speed figures.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from rag import Assistant, Settings
from rag.paths import BUNDLED_CORPUS

QUESTIONS = [
    "Did China deny the freeze?",
    "Who is Alexander Sergeev?",
    "What do China and Russia plan to build on the moon?",
]


def timed(assistant: Assistant, question: str) -> float:
    started = time.perf_counter()
    assistant.ask(question)
    return time.perf_counter() - started


def during_ingest(base: Settings, judge, corpus: Path, name: str, copies: int, wait: float) -> dict:
    """Index the articles, add ``copies`` copies, ask the questions while that ingest runs."""
    assistant = Assistant(base.replace(collection=f"beside_{name}", ingest_yield_seconds=wait), judge=judge)
    assistant.engine()
    for copy in range(copies):
        for f in BUNDLED_CORPUS.iterdir():
            if f.is_file() and not f.name.startswith("__"):
                shutil.copy(f, corpus / f"{f.stem}_{name}{copy}{f.suffix}")
    ingest: dict = {}

    def run():
        started = time.perf_counter()
        ingest["report"] = assistant.index()
        ingest["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(2)  # the ingest is under way: reading done, encoding begun
    times, overlapped = [], 0
    for q in QUESTIONS:
        times.append(timed(assistant, q))
        overlapped += worker.is_alive()
    worker.join()
    for f in corpus.glob(f"*_{name}*"):
        f.unlink()
    return {"times": times, "overlapped": overlapped, "ingest_s": ingest["seconds"],
            "chunks": ingest["report"].chunks}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=30, help="copies of the five articles to ingest (default 30)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(BUNDLED_CORPUS, corpus, ignore=shutil.ignore_patterns("__*"))
        # judge_memo=0: the same questions are asked alone and during each ingest, each read afresh.
        base = Settings.from_env(corpus_dir=corpus, index_dir=Path(tmp) / "index", judge_memo=0)
        alone_assistant = Assistant(base.replace(collection="beside_alone"))
        alone_assistant.ask(QUESTIONS[0])  # the index and the judge loaded
        alone = [timed(alone_assistant, q) for q in QUESTIONS]
        judge = alone_assistant.judge()
        rows = {"alone": {"times": alone}}
        rows["questions first"] = during_ingest(base, judge, corpus, "first", args.copies, base.ingest_yield_seconds)
        rows["shared cores"] = during_ingest(base, judge, corpus, "shared", args.copies, 0.0)
    ref = statistics.median(alone)
    print(f"{len(QUESTIONS)} questions, judge on, threads={base.threads or 'default'}; ingest of {args.copies} "
          "copies of the bundled articles running beside them\n")
    print(f"{'mode':<16} {'p50 s':>7} {'max s':>7} {'p50 / alone':>12} {'asked during ingest':>20} {'ingest s':>9}")
    for mode, row in rows.items():
        p50, top = statistics.median(row["times"]), max(row["times"])
        during = f"{row['overlapped']}/{len(QUESTIONS)}" if "overlapped" in row else "-"
        ingest = f"{row['ingest_s']:.1f} ({row['chunks']} chunks)" if "ingest_s" in row else "-"
        print(f"{mode:<16} {p50:>7.2f} {top:>7.2f} {p50 / ref:>12.2f} {during:>20} {ingest:>9}")


if __name__ == "__main__":
    main()
