"""Reproduce docs/benchmarks.md: ``python -m bench`` (add ``--sizes 1000`` for a quick run).

For each corpus size: ingest (in its own process), start-up and answering (another process), the
LlamaIndex peer (a third), and at ``--server-size`` the same against a real ``chroma run`` server, then
against Chroma and PostgreSQL (the lexical side) together.
Sizes above ``--real-up-to`` (10^4) use the stand-in encoder (bench/standin.py): the real one would take an hour.
Results go to ``bench/results.json``; the page and its chart are rendered from them.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from bench.corpus import build
from bench.report import render
from bench.servers import chroma_server, postgres_server

ROOT = Path(__file__).resolve().parent.parent


def probe(*args: str) -> dict:
    """Run bench.probe in a fresh process and return its JSON."""
    done = subprocess.run([sys.executable, "-m", "bench.probe", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench.probe {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "load_before": os.getloadavg()}


def measure_size(size: int, cache: Path, real: bool, clients: int, server: bool) -> dict:
    corpus = build(cache, size)
    flags = [] if real else ["--stand-in"]
    index = cache / f"index-{size}"
    shutil.rmtree(index, ignore_errors=True)
    row = {"size": size, "encoder": "MiniLM (real)" if real else "stand-in", "documents": len(list(corpus.iterdir()))}
    print(f"[{size}] ingest", flush=True)
    row["ingest"] = probe("ingest", "--corpus", str(corpus), "--index", str(index), *flags)
    print(f"[{size}] answer", flush=True)
    row["answer"] = probe("answer", "--index", str(index), "--clients", str(clients), *flags)
    print(f"[{size}] peer", flush=True)
    row["peer"] = probe("peer", "--corpus", str(corpus), *flags)
    if server:
        # The scale-out set-ups: vectors on a Chroma server (the lexical file beside the app), then
        # vectors on Chroma and the lexical side on PostgreSQL (nothing on the app's disk).
        for key, lexical in (("server", False), ("servers", True)):
            data, served_index = cache / f"{key}-{size}", index.with_name(f"{index.name}-{key}")
            for folder in (data, served_index):
                shutil.rmtree(folder, ignore_errors=True)
            with chroma_server(data) as chroma, (postgres_server() if lexical else nullcontext()) as postgres:
                served = [*flags, "--index", str(served_index), "--chroma-url", chroma]
                served += ["--lexical-url", postgres] if lexical else []
                print(f"[{size}] {key} ingest", flush=True)
                row[f"{key}_ingest"] = probe("ingest", "--corpus", str(corpus), *served)
                print(f"[{size}] {key} answer", flush=True)
                row[f"{key}_answer"] = probe("answer", "--clients", str(clients), *served)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes in chunks, comma-separated")
    parser.add_argument("--real-up-to", type=int, default=10000, help="largest size embedded with the real encoder")
    parser.add_argument("--server-size", type=int, default=100000, help="the size also measured with a Chroma server")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    results = json.loads(args.results.read_text()) if args.results.exists() else {"sizes": {}}
    results["machine"] = machine()
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure_size(size, args.cache, size <= args.real_up_to, args.clients, size == args.server_size)
        results["sizes"][str(size)] = row
        args.results.write_text(json.dumps(results, indent=1))  # kept size by size: a long run can be resumed
    results["machine"]["load_after"] = os.getloadavg()
    args.results.write_text(json.dumps(results, indent=1))
    render(results, args.out)
    print(f"wrote {args.results} and {args.out}")


if __name__ == "__main__":
    main()
