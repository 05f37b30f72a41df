"""App replicas sharing one model server, against one app alone: ``python -m bench.replicas``.

The scale-out layout of the README's "At scale", all of it real and on this machine: a Chroma server
(``chroma run``) and PostgreSQL hold the index (the bundled corpus, built once); llama.cpp's
OpenAI-compatible server (``llama_cpp.server``) serves the bundled judge model; one more app process serves
the bundled encoder on ``/v1/embeddings``. Measured, each on the same questions asked through ``/v1`` by
``--clients`` callers at once:

* **one app** with its models in-process (the default set-up), over the same Chroma and PostgreSQL;
* **1 replica** whose judge and encoder are on the model servers (``RAG_JUDGE_BASE_URL``,
  ``RAG_EMBED_BASE_URL``);
* **2 replicas** sharing the model servers, the callers split between them.

Prints questions per minute, p50 / p95 seconds per answer, each process's peak memory, and the corpus
indexed with the encoder in-process against through its server. On one machine
every process shares the same cores, so replicas cannot add throughput here; what they change is where the
weights live (once, in the model server) and which process a caller waits on. The figures for a model server
on its own machine come from running the replicas elsewhere with the same settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from bench.servers import (
    ask_v1,
    chroma_server,
    free_port,
    llama_server,
    peak_memory_mb,
    postgres_server,
    running,
)
from rag import Assistant, Settings
from rag.models.llm import bundled_gguf_path

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-replicas-key"
QUESTIONS = ["Did China deny the freeze?", "Who is Alexander Sergeev?",
             "What do China and Russia plan to build on the moon?",
             "What did China supply to Russia for a particle accelerator?",
             "How many new Chinese engineers did the Russian Academy of Engineering welcome?",
             "Which Russian scientist said the relationship had been frozen?"]


def ask(url: str, question: str) -> float:
    return ask_v1(url, question, KEY)


def load(urls: list[str], questions: int, clients: int) -> tuple[float, list[float]]:
    """``questions`` asked by ``clients`` callers at once, the i-th to ``urls[i % len(urls)]``: (wall s, times)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(lambda i: ask(urls[i % len(urls)], QUESTIONS[i % len(QUESTIONS)]), range(questions)))
    return time.perf_counter() - started, times


def app(stack: ExitStack, env: dict[str, str]) -> tuple[str, int]:
    port = free_port()
    url, process = stack.enter_context(running([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port,
                                               seconds=300, cwd=ROOT, env={**os.environ, **env}))
    return url, process.pid


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=12, help="questions per set-up (default 12)")
    parser.add_argument("--clients", type=int, default=4, help="callers at once (default 4)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    rows, ingest = [], []
    with ExitStack() as stack:
        chroma = stack.enter_context(chroma_server(Path(stack.enter_context(_tmp()))))
        postgres = stack.enter_context(postgres_server())
        # RAG_JUDGE_MEMO=0: the same questions are asked again and again; each must cost the judge its read.
        shared = {"RAG_CHROMA_URL": chroma, "RAG_LEXICAL_URL": postgres, "RAG_SERVER_API_KEY": KEY,
                  "RAG_JUDGE_MEMO": "0"}
        Assistant(settings.replace(chroma_url=chroma, lexical_url=postgres)).index()  # the index, built once

        with ExitStack() as alone:
            url, pid = app(alone, shared)
            ask(url, QUESTIONS[0])  # warm: the judge loaded
            wall, times = load([url], args.questions, args.clients)
            rows.append(("one app, models in-process", wall, times, [("app", peak_memory_mb(pid))]))

        judge_url, judge = stack.enter_context(llama_server(bundled_gguf_path(settings), context=2048,
                                                            threads=os.cpu_count()))
        encoder_url, encoder = app(stack, shared)
        remote = {**shared, "RAG_JUDGE_BASE_URL": judge_url, "RAG_JUDGE_MODEL": "bundled",
                  "RAG_EMBED_BASE_URL": f"{encoder_url}/v1", "RAG_EMBED_API_KEY": KEY}
        # Ingest through the encoder's server against in-process, each into a collection of its own.
        for name, extra in (("in-process", {}), ("on the encoder server", {"embed_base_url": f"{encoder_url}/v1",
                                                                           "embed_api_key": KEY})):
            built = Assistant(settings.replace(chroma_url=chroma, lexical_url=postgres,
                                               collection=f"ingest_{len(ingest)}", **extra)).index(rebuild=True)
            ingest.append((name, built.chunks, built.seconds))
        for n in (1, 2):
            with ExitStack() as replicas:
                started = [app(replicas, remote) for _ in range(n)]
                for url, _ in started:
                    ask(url, QUESTIONS[0])
                wall, times = load([u for u, _ in started], args.questions, args.clients)
                memory = [(f"replica {i + 1}", peak_memory_mb(pid)) for i, (_, pid) in enumerate(started)]
                memory += [("judge server", peak_memory_mb(judge.pid)), ("encoder server", peak_memory_mb(encoder))]
                rows.append((f"{n} replica{'s' if n > 1 else ''} + model servers", wall, times, memory))

    print(f"{args.questions} questions, {args.clients} callers at once, judge on, {os.cpu_count()} cores\n")
    print(f"{'set-up':<34} {'q/min':>6} {'p50 s':>6} {'p95 s':>6}   peak memory (MB)")
    base = args.questions / rows[0][1] * 60
    for name, wall, times, memory in rows:
        rate = args.questions / wall * 60
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:<34} {rate:>6.1f} {statistics.median(times):>6.2f} {p95:>6.2f}   "
              + ", ".join(f"{who} {mb:.0f}" for who, mb in memory) + f"   ({rate / base:.2f}x one app)")
    for name, chunks, seconds in ingest:
        print(f"ingest, encoder {name}: {chunks} chunks in {seconds:.1f} s ({chunks / seconds:.1f} chunks/s)")


def _tmp():
    import tempfile

    return tempfile.TemporaryDirectory(prefix="rag-replicas-")


if __name__ == "__main__":
    main()
