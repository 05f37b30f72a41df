"""A keyed /v1 question under two floods, against the same question alone: ``python -m bench.floods``.

The real app (``app.py``, offline defaults, judge on) with ``RAG_SERVER_API_KEY`` set serves the bundled
corpus. Measured, each time on the same three questions asked with the key:

* alone;
* after an **anonymous queue flood**: ``--flood`` questions posted to the web UI's queue (``queue/join``)
  from one other address (127.0.0.2), whose results nobody reads;
* after a **disconnect flood**: ``--flood`` keyed ``/v1`` streams, each closed after its first chunk.

Prints p50 / max and the ratio to the time alone, and how many flood questions the app refused at once.
``--fairness 0`` turns the per-address bound off (``RAG_MAX_QUESTIONS_PER_CLIENT``) to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

from bench.servers import ask_v1, free_port, serving

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-floods-key"
QUESTIONS = ["Did China deny the freeze?", "Who is Alexander Sergeev?",
             "What do China and Russia plan to build on the moon?"]


def ask(url: str, question: str) -> float:
    return ask_v1(url, question, KEY)


def asked(url: str) -> list[float]:
    return [ask(url, q) for q in QUESTIONS]


def queue_flood(url: str, n: int) -> int:
    """``n`` questions joined to the UI's queue from 127.0.0.2 and never read; how many were refused."""
    config = httpx.get(f"{url}/config", timeout=30).json()
    respond = next(d for d in config["dependencies"] if d.get("api_name") == "respond")
    refused = 0
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30) as client:
        for i in range(n):
            joined = client.post(f"{url}/gradio_api/queue/join", json={
                "data": [QUESTIONS[i % len(QUESTIONS)], [], None, []], "event_data": None,
                "fn_index": respond["id"], "trigger_id": respond["targets"][0][0],
                "session_hash": uuid.uuid4().hex[:11]})
            refused += joined.status_code != 200
    return refused


def disconnect_flood(url: str, n: int) -> int:
    """``n`` keyed /v1 streams closed after their first chunk; how many were refused (429)."""
    refused = 0
    body = {"messages": [{"role": "user", "content": QUESTIONS[0]}], "stream": True}
    for _ in range(n):
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {KEY}"}) as stream:
            if stream.status_code == 429:
                refused += 1
                continue
            next(stream.iter_lines())
    return refused


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flood", type=int, default=8, help="questions per flood (default 8)")
    parser.add_argument("--fairness", type=int, default=None,
                        help="RAG_MAX_QUESTIONS_PER_CLIENT for the app (default: the app's default)")
    args = parser.parse_args(argv)
    port = free_port()
    # The judge remembers no verdict: the same questions are asked alone, by the floods and after them, and
    # each must cost what a new question costs (a flooder varies its words at no cost).
    env = {**os.environ, "RAG_SERVER_API_KEY": KEY, "RAG_JUDGE_MEMO": "0"}
    if args.fairness is not None:
        env["RAG_MAX_QUESTIONS_PER_CLIENT"] = str(args.fairness)
    with serving([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port, seconds=300, cwd=ROOT,
                 env=env) as url:
        ask(url, QUESTIONS[0])  # warm: the judge loaded
        rows = [("alone", asked(url), "-")]
        refused = queue_flood(url, args.flood)
        rows.append((f"after {args.flood} anonymous queue joins", asked(url), str(refused)))
        time.sleep(5)
        refused = disconnect_flood(url, args.flood)
        rows.append((f"after {args.flood} /v1 streams left", asked(url), str(refused)))
    alone = statistics.median(rows[0][1])
    print(f"keyed /v1 questions ({len(QUESTIONS)}), judge on, RAG_MAX_QUESTIONS_PER_CLIENT="
          f"{env.get('RAG_MAX_QUESTIONS_PER_CLIENT', 'default')}\n")
    print(f"{'when':<36} {'p50 s':>7} {'max s':>7} {'p50 / alone':>12} {'flood refused':>14}")
    for name, times, refused in rows:
        p50 = statistics.median(times)
        print(f"{name:<36} {p50:>7.2f} {max(times):>7.2f} {p50 / alone:>12.2f} {refused:>14}")


if __name__ == "__main__":
    main()
