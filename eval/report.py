"""Reports: a terminal table, and eval/reports/<timestamp>/ with results.json, report.md, report.html
and metrics.png; side-by-side comparison of runs; the thresholds gate."""

from __future__ import annotations

import html
import json
import re
import tomllib
from datetime import datetime
from pathlib import Path

from rag.paths import reports_dir

from .metrics import QuestionResult, by_type, failures, summarize

REPORTS = reports_dir()
THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
HEADLINE = ("answerable_correct", "key_fact_recall", "faithfulness_cited", "faithfulness_retrieved",
            "citation_recall", "citation_precision", "retrieval_recall_at_k", "retrieval_mrr",
            "abstained_when_unanswerable", "answered_when_answerable")


def fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def terminal_table(results: list[QuestionResult], summary: dict) -> str:
    lines = [f"{'id':<5} {'type':<14} {'ok':<2} {'facts':>5} {'faith':>5} {'c.rec':>5} {'c.prec':>6} "
             f"{'abst':>4} {'sec':>5}  question"]
    for r in results:
        faith = [c["by_cited"] for c in r.claims]
        rec = [s["supported"] for s in r.statements]
        prec = [c["precise"] for c in r.citation_checks]
        lines.append(
            f"{r.id:<5} {r.type:<14} {'✓' if r.correct else '✗':<2} {fmt(r.key_fact_recall):>5} "
            f"{fmt(sum(faith) / len(faith) if faith else None):>5} {fmt(sum(rec) / len(rec) if rec else None):>5} "
            f"{fmt(sum(prec) / len(prec) if prec else None):>6} {'yes' if r.abstained else 'no':>4} "
            f"{r.seconds:5.2f}  {r.question[:56]}")
    lines.append("")
    width = max(len(k) for k in summary)
    lines += [f"{k:<{width}}  {fmt(v)}" for k, v in summary.items()]
    return "\n".join(lines)


REPORT_FILES = ("report.html", "report.md", "results.json", "metrics.png")


def report_file(name: str, file: str) -> Path | None:
    """The path of one file of the report run ``name``, or None for anything else (no other path is served)."""
    if file not in REPORT_FILES or not re.fullmatch(r"[\w.-]+", name) or name.startswith("."):
        return None
    path = REPORTS / name / file
    return path if path.is_file() else None


def new_report_dir(root: Path = REPORTS) -> Path:
    folder = root / datetime.now().strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_report(folder: Path, runs: dict[str, list[QuestionResult]], meta: dict) -> dict[str, dict]:
    """Write results.json, report.md, report.html and metrics.png for one or more named runs."""
    summaries = {name: summarize(results) for name, results in runs.items()}
    payload = {
        "meta": meta,
        "runs": {name: {"summary": summaries[name], "by_type": by_type(results),
                        "failures": failures(results), "results": [r.to_dict() for r in results]}
                 for name, results in runs.items()},
    }
    (folder / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str),
                                         encoding="utf-8")
    chart = plot_metrics(summaries, folder / "metrics.png")
    (folder / "report.md").write_text(markdown_report(payload, chart), encoding="utf-8")
    (folder / "report.html").write_text(html_report(payload, chart), encoding="utf-8")
    return summaries


def plot_metrics(summaries: dict[str, dict], path: Path) -> str:
    """A grouped bar chart of the headline metrics, one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summaries)
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=110)
    for n, name in enumerate(names):
        values = [summaries[name].get(k) or 0.0 for k in HEADLINE]
        bars = ax.bar([i + n * width for i in range(len(HEADLINE))], values, width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(HEADLINE))])
    ax.set_xticklabels([k.replace("_", "\n", 1) for k in HEADLINE], fontsize=7.5)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("share (higher is better)")
    ax.set_title("Faithfulness eval", pad=22)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(names), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path.name


def _summary_rows(payload: dict) -> tuple[list[str], list[list[str]]]:
    names = list(payload["runs"])
    keys = list(next(iter(payload["runs"].values()))["summary"])
    return names, [[k] + [fmt(payload["runs"][n]["summary"][k]) for n in names] for k in keys]


def markdown_report(payload: dict, chart: str) -> str:
    names, rows = _summary_rows(payload)
    meta = payload["meta"]
    out = [f"# Faithfulness eval — {meta['started']}", "",
           f"Gold set: {meta['gold']} ({meta['questions']} questions). Judge: {meta['judge']}. "
           f"Settings: {meta['settings']}.", "", f"![metrics]({chart})", "", "## Summary", "",
           "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    for name, run in payload["runs"].items():
        out += ["", f"## {name}: per question type", "",
                "| type | questions | correct | key facts | faithfulness | citation recall | citation precision | MRR |",
                "|---|---|---|---|---|---|---|---|"]
        for kind, m in run["by_type"].items():
            out.append(f"| {kind} | {m['questions']} | {fmt(m['correct'])} | {fmt(m['key_fact_recall'])} | "
                       f"{fmt(m['faithfulness_cited'])} | {fmt(m['citation_recall'])} | "
                       f"{fmt(m['citation_precision'])} | {fmt(m['retrieval_mrr'])} |")
        out += ["", f"## {name}: failures ({len(run['failures'])})", ""]
        out += [f"- **{f['id']}** {f['kind']}: {f['detail']}" for f in run["failures"]] or ["None."]
        out += ["", f"## {name}: answers", ""]
        for r in run["results"]:
            mark = "✓" if r["correct"] else "✗"
            out.append(f"- {mark} **{r['id']}** ({r['type']}) {r['question']}  \n  {r['answer']}")
            out += [f"  - [{c['marker']}] `{c['doc_id']}` “{c['quote']}”" for c in r["citations"]]
    return "\n".join(out) + "\n"


def html_report(payload: dict, chart: str) -> str:
    """The same content as the Markdown report, as one self-contained page (text escaped)."""
    e = html.escape
    names, rows = _summary_rows(payload)
    meta = payload["meta"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Faithfulness eval</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "th{background:#f3f3f3}.bad{color:#b00}.ok{color:#070}blockquote{margin:.2em 0 .2em 1.5em;color:#555}"
        "details{margin:.3em 0}</style></head><body>",
        f"<h1>Faithfulness eval — {e(meta['started'])}</h1>",
        f"<p>Gold set: {e(meta['gold'])} ({meta['questions']} questions). Judge: {e(meta['judge'])}. "
        f"Settings: {e(meta['settings'])}.</p>",
        f"<img src='{e(chart)}' alt='metrics chart' style='max-width:100%'>",
        "<h2>Summary</h2><table><tr><th>metric</th>" + "".join(f"<th>{e(n)}</th>" for n in names) + "</tr>",
    ]
    parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
    parts.append("</table>")
    for name, run in payload["runs"].items():
        parts.append(f"<h2>{e(name)}: per question type</h2><table><tr><th>type</th><th>questions</th>"
                     "<th>correct</th><th>key facts</th><th>faithfulness</th><th>citation recall</th>"
                     "<th>citation precision</th><th>MRR</th></tr>")
        for kind, m in run["by_type"].items():
            cells = [kind, m["questions"], fmt(m["correct"]), fmt(m["key_fact_recall"]), fmt(m["faithfulness_cited"]),
                     fmt(m["citation_recall"]), fmt(m["citation_precision"]), fmt(m["retrieval_mrr"])]
            parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
        parts.append(f"</table><h2>{e(name)}: failures ({len(run['failures'])})</h2><ul>")
        parts += [f"<li><b>{e(f['id'])}</b> {e(f['kind'])}: {e(f['detail'])}</li>" for f in run["failures"]]
        parts.append(f"</ul><h2>{e(name)}: answers</h2>")
        for r in run["results"]:
            cls, mark = ("ok", "✓") if r["correct"] else ("bad", "✗")
            parts.append(f"<details><summary><span class='{cls}'>{mark}</span> <b>{e(r['id'])}</b> "
                         f"({e(r['type'])}) {e(r['question'])}</summary><p>{e(r['answer'])}</p>")
            parts += [f"<blockquote>[{c['marker']}] <code>{e(c['doc_id'])}</code> “{e(c['quote'])}”</blockquote>"
                      for c in r["citations"]]
            parts.append("</details>")
    parts.append("</body></html>")
    return "\n".join(parts)


def compare(folders: list[Path]) -> str:
    """A side-by-side Markdown table of the summaries of earlier reports (every run in each)."""
    columns: dict[str, dict] = {}
    for folder in folders:
        payload = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        for name, run in payload["runs"].items():
            columns[f"{folder.name}/{name}"] = run["summary"]
    keys = list(dict.fromkeys(k for s in columns.values() for k in s))
    out = ["| metric | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    out += ["| " + k + " | " + " | ".join(fmt(s.get(k)) for s in columns.values()) + " |" for k in keys]
    return "\n".join(out)


def latest_report(root: Path = REPORTS) -> Path | None:
    """The newest report folder that holds a results.json, or None."""
    folders = sorted((f for f in root.glob("*") if (f / "results.json").exists()), key=lambda f: f.name)
    return folders[-1] if folders else None


def check_thresholds(summary: dict, path: Path = THRESHOLDS, set_name: str = "bundled",
                     sample: bool = False) -> list[str]:
    """The metrics that miss their threshold ([min] at least, [max] at most); empty when all pass.

    The bundled set's limits are the file's top-level [min]/[max]; another set's are [sets.NAME.min/max].
    ``sample`` (the run answered each set's fixed sample, ``eval --sample``): the floors of the set's
    [sample.min] table (bundled) or [sets.NAME.sample.min] stand in for those of [min] they name.
    """
    limits = tomllib.loads(path.read_text(encoding="utf-8"))
    if set_name != "bundled":
        limits = limits.get("sets", {}).get(set_name, {})
        if not limits:
            return [f"no thresholds for set {set_name!r} in {path.name}"]
    floors = limits.get("min", {}) | (limits.get("sample", {}).get("min", {}) if sample else {})
    problems = []
    for key, floor in floors.items():
        value = summary.get(key)
        if value is None or value < floor:
            problems.append(f"{key} = {fmt(value)} is below the minimum {floor}")
    for key, ceiling in limits.get("max", {}).items():
        value = summary.get(key)
        if value is None or value > ceiling:
            problems.append(f"{key} = {fmt(value)} is above the maximum {ceiling}")
    return problems


def gated_sets(path: Path = THRESHOLDS) -> list[str]:
    """The external sets the thresholds file gates (its [sets.NAME] tables)."""
    return list(tomllib.loads(path.read_text(encoding="utf-8")).get("sets", {}))


def report_view(folder: Path | None):
    """What the web UI shows of one eval report: summary rows, failures (escaped Markdown), the chart
    image and a status line linking the full report."""
    if folder is None:
        return [], "", None, "No report yet: run the eval."
    from PIL import Image

    payload = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    run = payload["runs"]["assistant"]
    rows = [[key, fmt(value)] for key, value in run["summary"].items()]
    lines = [f"- **{html.escape(f['id'])}** {html.escape(f['kind'])}: {html.escape(f['detail'])}"
             for f in run["failures"]]
    chart = Image.open(folder / "metrics.png") if (folder / "metrics.png").exists() else None
    status = (f"Report {folder.name} ({payload['meta']['questions']} questions, {payload['meta']['settings']}). "
              f"[Open the full report](/reports/{folder.name}/report.html)")
    return rows, "\n".join(lines) or "No failures.", chart, status
