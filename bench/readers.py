"""How reading and chunking scale with the input: ``python -m bench.readers``.

Each shape is read (``load_document``) and chunked (``chunk_document``, the default splitter) at a size
and at twice and four times that size; the ratios say whether time grows with the input (about 2x per
doubling) or faster. The shapes are the ones a hostile or odd file takes: deeply nested HTML tags, one
long line, many short sentences. Prints a table; best of 3 runs per size, so a busy machine shows less.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rag.index.corpus import load_document
from rag.index.chunking import chunk_document, make_splitter
from rag.settings import Settings

SHAPES = {
    "nested HTML tags": (".html", lambda n: "<html><body>" + "<article><p>word</p>" * n + "</article>" * n
                         + "</body></html>"),
    "one long line": (".txt", lambda n: ("lorem ipsum dolor sit amet " * (n // 27 + 1))[:n]),
    "short sentences": (".txt", lambda n: "This is one. " * n),
}
BASE = {"nested HTML tags": 12_500, "one long line": 100_000, "short sentences": 25_000}


def timed(path: Path, splitter, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        chunk_document(load_document(path), splitter)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    splitter = make_splitter(Settings())
    print(f"{'shape':<18} {'size':>10} {'seconds':>8} {'x previous':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for shape, (suffix, make) in SHAPES.items():
            previous = None
            for factor in (1, 2, 4):
                n = int(BASE[shape] * args.scale * factor)
                path = Path(folder) / f"doc{suffix}"
                path.write_text(make(n), encoding="utf-8")
                seconds = timed(path, splitter, args.runs)
                ratio = f"{seconds / previous:.2f}" if previous else ""
                print(f"{shape:<18} {n:>10,} {seconds:>8.2f} {ratio:>10}", flush=True)
                previous = seconds


if __name__ == "__main__":
    main()
