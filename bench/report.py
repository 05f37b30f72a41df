"""Render bench/results.json as docs/benchmarks.md and its chart (docs/benchmarks.png)."""

from __future__ import annotations

from pathlib import Path

INTRO = """# Benchmarks

Reproduce with one command: `python -m bench` (about {minutes} min here; `--sizes 1000` for a quick run).
It fetches the corpora with `apt-get download` (no root), so it needs Debian's package mirror once.

**Corpora**: real English prose from Debian packages: the Python 3.11 manual (`python3.11-doc`),
PostgreSQL 15 (`postgresql-doc-15`), Git (`git-doc`), Perl (`perl-doc`) and the Linux kernel
(`linux-doc-6.1`), cut into 3-6 KB documents, the manuals interleaved; each size contains the smaller
ones. `bench/questions.jsonl` holds {questions} questions answered by the smallest corpus, so by every size;
a question's gold is a regular expression that a retrieved chunk must match.

**Encoder**: sizes up to {real} chunks are embedded with the bundled MiniLM model. Larger ones use a
stand-in (hashed words, `bench/standin.py`): the real encoder runs at ~{rate:.0f} chunks/s here, so 10^5
chunks would take about an hour, for us and again for the peer. Everything but the encoder is real at every size; dense
retrieval quality at the stand-in sizes says nothing about the model (its speed does).

**Machine**: {cpu}, {cores} cores, {memory:,} MB RAM, Python {python}; load average {load_before} before
the run and {load_after} after. The machine is shared and busy: compare the ratios, measured in one run,
more than the absolute times.
"""


def _ms(x: dict, key: str = "p50_ms") -> str:
    return f"{x[key]:.0f}" if x[key] >= 10 else f"{x[key]:.1f}"


def table(results: dict) -> str:
    sizes = sorted(results["sizes"].values(), key=lambda r: r["size"])
    head = ["", *[f"{r['answer']['chunks']:,} chunks ({r['documents']:,} docs, {r['encoder']})" for r in sizes]]
    rows: list[list[str]] = []

    def add(label, fn):
        cells = []
        for r in sizes:
            try:
                cells.append(fn(r))
            except (KeyError, ZeroDivisionError, TypeError):
                cells.append("–")
        rows.append([label, *cells])

    add("ingest: chunks/s (sentence vectors included)", lambda r: f"{r['ingest']['chunks_per_s']:.1f}")
    add("ingest: share of the time in the encoder (= speed vs the raw encoder on the same texts)",
        lambda r: f"{r['ingest']['encoder_share']:.2f}")
    add("ingest: encoder passes per chunk (sentences pooled from the chunk's pass)",
        lambda r: f"{r['ingest']['encoded_texts'] / r['ingest']['chunks']:.1f}")
    add("ingest: peak RSS MB", lambda r: f"{r['ingest']['peak_rss_mb']:.0f}")
    add("peer (LlamaIndex `VectorStoreIndex`) build: chunks/s", lambda r: f"{r['peer']['chunks_per_s']:.1f}")
    add("start-up: `Assistant()` to a ready engine, s", lambda r: f"{r['answer']['startup_s']:.2f}")
    add("peak RSS of the answering process, MB (judge off)", lambda r: f"{r['answer']['peak_rss_mb']:.0f}")
    for mode in ("dense", "lexical", "hybrid"):
        add(f"retrieval {mode}: p50 / p95 ms",
            lambda r, m=mode: f"{_ms(r['answer'][m])} / {_ms(r['answer'][m], 'p95_ms')}")
        add(f"retrieval {mode}: gold in top 6",
            lambda r, m=mode: f"{r['answer'][m]['gold_in_top6']}/{r['answer'][m]['questions']}")
    add("peer retrieval (dense): p50 / p95 ms", lambda r: f"{_ms(r['peer']['dense'])} / {_ms(r['peer']['dense'], 'p95_ms')}")
    add("peer retrieval: gold in top 6",
        lambda r: f"{r['peer']['dense']['gold_in_top6']}/{r['peer']['dense']['questions']}")
    add("`ask()` p50 / p95 ms (judge off)", lambda r: f"{_ms(r['answer']['ask'])} / {_ms(r['answer']['ask'], 'p95_ms')}")
    add("`ask()` p50 vs the smallest size", lambda r: f"{r['answer']['ask']['p50_ms'] / sizes[0]['answer']['ask']['p50_ms']:.2f}×")
    add("answers/s, 8 clients through `/v1` (errors)",
        lambda r: f"{r['answer']['clients']['answers_per_s']:.2f} ({r['answer']['clients']['errors']})")
    add("end to end, ours: index the folder + `ask()` every question, s",
        lambda r: f"{r['ingest']['seconds'] + r['answer']['ask']['total_s']:.0f}")
    add("end to end, peer: build + retrieve every question, s",
        lambda r: f"{r['peer']['build_s'] + r['peer']['dense']['total_s']:.0f}")
    add("end to end: ours / peer time", lambda r: f"{(r['ingest']['seconds'] + r['answer']['ask']['total_s']) / (r['peer']['build_s'] + r['peer']['dense']['total_s']):.2f}×")
    for key, label in (("server", "Chroma server"), ("servers", "Chroma server + PostgreSQL lexical")):
        add(f"{label}: ingest chunks/s", lambda r, k=key: f"{r[f'{k}_ingest']['chunks_per_s']:.1f}")
        add(f"{label}: start-up s", lambda r, k=key: f"{r[f'{k}_answer']['startup_s']:.2f}")
        for mode in ("lexical", "hybrid"):
            add(f"{label}: {mode} p50 / p95 ms",
                lambda r, k=key, m=mode: f"{_ms(r[f'{k}_answer'][m])} / {_ms(r[f'{k}_answer'][m], 'p95_ms')}")
        add(f"{label}: hybrid gold in top 6", lambda r, k=key: "{gold_in_top6}/{questions}".format(
            **r[f"{k}_answer"]["hybrid"]))
        add(f"{label}: `ask()` p50 / p95 ms",
            lambda r, k=key: f"{_ms(r[f'{k}_answer']['ask'])} / {_ms(r[f'{k}_answer']['ask'], 'p95_ms')}")
        add(f"{label}: answers/s, 8 clients", lambda r, k=key: f"{r[f'{k}_answer']['clients']['answers_per_s']:.2f}")
        add(f"{label}: peak RSS of the answering process, MB",
            lambda r, k=key: f"{r[f'{k}_answer']['peak_rss_mb']:.0f}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results["sizes"].values(), key=lambda r: r["size"])
    x = [r["answer"]["chunks"] for r in sizes]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, fn in (("hybrid retrieval p50", lambda r: r["answer"]["hybrid"]["p50_ms"]),
                      ("dense retrieval p50", lambda r: r["answer"]["dense"]["p50_ms"]),
                      ("lexical retrieval p50", lambda r: r["answer"]["lexical"]["p50_ms"]),
                      ("ask() p50 (judge off)", lambda r: r["answer"]["ask"]["p50_ms"]),
                      ("peer retrieval p50", lambda r: r["peer"]["dense"]["p50_ms"])):
        ax.plot(x, [fn(r) for r in sizes], marker="o", label=label)
    for key, label in (("server", "hybrid p50, Chroma server"), ("servers", "hybrid p50, Chroma + PostgreSQL")):
        served = [r for r in sizes if f"{key}_answer" in r]
        if served:
            ax.plot([r[f"{key}_answer"]["chunks"] for r in served],
                    [r[f"{key}_answer"]["hybrid"]["p50_ms"] for r in served],
                    marker="s" if key == "server" else "^", linestyle="none", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("milliseconds")
    ax.set_title("Latency against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results: dict, out: Path, notes: str = "") -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    m = results["machine"]
    small = min(results["sizes"].values(), key=lambda r: r["size"])
    rate = small["ingest"]["encoded_texts"] / max(small["ingest"]["encoder_seconds"], 1e-9)
    minutes = round(sum(r["ingest"]["seconds"] + r["peer"]["build_s"] + sum(
        r.get(f"{k}_ingest", {}).get("seconds", 0) for k in ("server", "servers")) for r in results["sizes"].values())
        / 60 * 1.3)
    intro = INTRO.format(minutes=minutes, questions=small["answer"]["hybrid"]["questions"], real=max(
        (r["size"] for r in results["sizes"].values() if "real" in r["encoder"]), default=0), rate=rate,
        cpu=m["cpu"], cores=m["cores"], memory=m["memory_mb"], python=m["python"],
        load_before=" ".join(f"{x:.1f}" for x in m["load_before"]),
        load_after=" ".join(f"{x:.1f}" for x in m.get("load_after", m["load_before"])))
    chart(results, out.with_suffix(".png"))
    notes_file = Path(__file__).with_name("notes.md")
    notes = notes or (notes_file.read_text() if notes_file.exists() else "")
    out.write_text(f"{intro}\n{table(results)}\n\n![Latency against corpus size]({out.with_suffix('.png').name})\n\n{notes}")
