"""Many chats at once on one box, against one user alone: ``python -m bench.concurrent``.

The real app (``app.py``, offline defaults, judge on, the judge's memo off so every question costs what a new
one does) serves the bundled corpus. Measured for each ``RAG_MAX_CONCURRENT_QUESTIONS`` given (``--bounds``),
each on a fresh app:

* **alone**: the gold set's first ``--alone`` questions asked one after another through ``/v1``;
* **at once**: ``--chats`` chats, each from an address of its own (127.0.0.10, .11, ...: distinct visitors,
  as the per-client bound sees them), each asking one question of the gold set at the same moment.

Prints, per bound: answered chats and their p50 / p95 / max, p95 against the p95 alone (issue 26's goal: at
most 4x), the chats told "busy" (429 with ``Retry-After``) and the slowest such reply (goal: within 1 s), and
errors (goal: none). A busy chat is not retried here: the figure is what a caller past the bound gets.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.answers import spread
from bench.servers import free_port, serving

ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[str]:
    from eval.gold import load_gold

    return [item.question for item in load_gold() if item.answerable and not item.history]


def ask(url: str, question: str, address: str | None = None) -> tuple[int, float]:
    """(HTTP status, seconds) of one /v1 question, sent from ``address``."""
    transport = httpx.HTTPTransport(local_address=address) if address else None
    started = time.perf_counter()
    with httpx.Client(transport=transport, timeout=600) as client:
        reply = client.post(f"{url}/v1/chat/completions",
                            json={"messages": [{"role": "user", "content": question}]})
    return reply.status_code, time.perf_counter() - started


def at_once(url: str, asked: list[str]) -> list[tuple[int, float]]:
    results: list[tuple[int, float] | None] = [None] * len(asked)
    start = threading.Barrier(len(asked))

    def chat(i: int) -> None:
        start.wait()
        results[i] = ask(url, asked[i], f"127.0.0.{10 + i}")

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(len(asked))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]


def measure(bound: int, alone_n: int, chats: int) -> dict:
    port = free_port()
    env = {**os.environ, "RAG_JUDGE_MEMO": "0", "RAG_MAX_CONCURRENT_QUESTIONS": str(bound)}
    pool = questions()
    with serving([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port, seconds=300, cwd=ROOT,
                 env=env) as url:
        ask(url, pool[-1])  # warm: the judge loaded
        alone = [ask(url, q)[1] for q in pool[:alone_n]]
        together = at_once(url, [pool[(alone_n + i) % len(pool)] for i in range(chats)])
    answered = [s for status, s in together if status == 200]
    busy = [s for status, s in together if status == 429]
    alone_spread, spread_answered = spread(alone), spread(answered)
    return {"bound": bound, "alone_p50": alone_spread["p50"], "alone_p95": alone_spread["p95"],
            "answered": len(answered), "p50": spread_answered.get("p50"), "p95": spread_answered.get("p95"),
            "max": spread_answered.get("max"),
            "busy": len(busy), "busy_max": max(busy, default=None),
            "errors": len(together) - len(answered) - len(busy)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bounds", type=int, nargs="+", default=[4, 8],
                        help="RAG_MAX_CONCURRENT_QUESTIONS values to compare (default 4 8)")
    parser.add_argument("--chats", type=int, default=16, help="chats at once (default 16)")
    parser.add_argument("--alone", type=int, default=10, help="questions asked alone first (default 10)")
    args = parser.parse_args(argv)
    rows = [measure(bound, args.alone, args.chats) for bound in args.bounds]
    print(f"{args.chats} chats at once through /v1, each from its own address; judge on, memo off; "
          f"{os.cpu_count()} cores\n")
    print(f"{'bound':>5} {'alone p50/p95 s':>16} {'answered':>9} {'p50 s':>6} {'p95 s':>6} {'max s':>6} "
          f"{'p95/alone':>9} {'busy':>5} {'busy max s':>10} {'errors':>6}")
    for r in rows:
        ratio = f"{r['p95'] / r['alone_p95']:.2f}" if r["p95"] else "-"
        print(f"{r['bound']:>5} {r['alone_p50']:>7.2f} / {r['alone_p95']:<6.2f} {r['answered']:>9} "
              f"{r['p50'] or 0:>6.2f} {r['p95'] or 0:>6.2f} {r['max'] or 0:>6.2f} {ratio:>9} {r['busy']:>5} "
              f"{r['busy_max'] or 0:>10.2f} {r['errors']:>6}")


if __name__ == "__main__":
    main()
