"""python -m eval: run the gold sets against the assistant with the current settings and write a report.

    python -m eval                       # the bundled gold set and every set in ../shared/eval-sets
    python -m eval --sets none           # the bundled gold set only
    python -m eval --set squad2_dev_wiki # one external set only
    python -m eval --baseline            # also LlamaIndex's stock CitationQueryEngine, side by side
    python -m eval --check               # exit 1 when a metric misses eval/thresholds.toml
    python -m eval --check --sample      # what CI gates: a fixed sample of each set, against its own floors
    python -m eval --cross               # also each set with the selection fitted without it (held out)
    python -m eval --ablate              # also each set with each hand rule off: what each rule gains
    python -m eval --judge-accuracy      # the judge against the labelled claim/passage pairs
    python -m eval --compare DIR DIR     # side-by-side summary of earlier reports
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from rag import Assistant, Settings, SettingsError
from rag.models.judge import LlamaJudge
from rag.settings import RULE_NAMES

from .ablation import ablation_table, gains
from .gold import GOLD_FILE, SET_TYPES, GoldError, load_gold
from .judge import BundledJudge, LLMJudge, judge_accuracy, load_judge_set
from .metrics import failures, summarize
from .report import REPORTS, THRESHOLDS, check_thresholds, gated_sets, compare, fmt, new_report_dir, terminal_table, write_report
from .run import default_judge, run
from .sample import sample_size, spread_sample
from .selection import held_out_selector, load_pairs
from .sets import DEFAULT_SETS_DIR, EvalSet, discover_sets, load_set_items

BUNDLED = "bundled"
# How far a set's held-out figure may fall below its in-sample one (--cross --check): the issue's bar for "the
# selection generalises", not tuned.
CROSS_TOLERANCE = 0.05
CROSS_KEYS = ("answerable_correct", "abstained_when_unanswerable")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["local", "openai", "openai-compatible"],
                        help="answer backend (default: RAG_BACKEND, else local)")
    parser.add_argument("--gold", type=Path, default=GOLD_FILE, help="the gold set (default: eval/gold.jsonl)")
    parser.add_argument("--sets", default=str(DEFAULT_SETS_DIR),
                        help="folder of external sets (corpus/ + gold.jsonl each), or 'none' "
                             "(default: ../shared/eval-sets)")
    parser.add_argument("--set", action="append", dest="only_sets", metavar="NAME",
                        help=f"run only these sets ('{BUNDLED}' is the bundled gold set); repeatable")
    parser.add_argument("--screen", action="store_true", help="have the judge read every passage for instructions "
                        "to an AI before the questions (Assistant.screen(), what a server does while idle; "
                        "~7 s a chunk on 2 cores): the answers a screened index gives")
    parser.add_argument("--sample", action="store_true",
                        help="answer only each set's fixed sample (thresholds.toml's [sampling] size, each kind of "
                             "question in its share: eval/sample.py) and --check it against the sample's floors")
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--only", choices=SET_TYPES, help="only questions of this type")
    parser.add_argument("--baseline", action="store_true",
                        help="also run LlamaIndex's CitationQueryEngine over the same index and model")
    parser.add_argument("--judge", choices=["lexical", "bundled", "llm"], default="lexical",
                        help="lexical: offline, deterministic (default); bundled: the bundled 1.5B model's "
                             "entailment verdict, offline; llm: RAG_JUDGE_MODEL via the openai client")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a metric misses eval/thresholds.toml (with --cross: or a set's held-out "
                             f"score falls more than {CROSS_TOLERANCE} below its in-sample one)")
    parser.add_argument("--cross", action="store_true",
                        help="leave one set out: run each set again with the learned selection fitted without it "
                             "(on eval/selection_pairs.jsonl.gz) and print in-sample against held out")
    parser.add_argument("--ablate", nargs="*", metavar="RULE", choices=list(RULE_NAMES),
                        help="run each set again with each of these hand rules off (default: every rule of "
                             "rag.answer.rules) and print what each gains, per set, pooled and held out")
    parser.add_argument("--thresholds", type=Path, default=None, help="thresholds file for --check")
    parser.add_argument("--judge-accuracy", action="store_true",
                        help="score the judge on eval/judge_set.jsonl and exit")
    parser.add_argument("--compare", nargs="+", type=Path, metavar="REPORT_DIR",
                        help="print a side-by-side summary of earlier reports and exit")
    parser.add_argument("--out", type=Path, default=REPORTS, help="where report folders go (default: eval/reports)")
    parser.add_argument("--no-report", action="store_true", help="print the table only")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every answer and failure")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        print(compare(args.compare))
        return 0
    try:
        settings = Settings.from_env(backend=args.backend)
        items = load_gold(args.gold, settings.corpus_dir)
    except (SettingsError, GoldError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    external = [] if args.sets == "none" else discover_sets(Path(args.sets))
    if args.only_sets:
        unknown = set(args.only_sets) - {BUNDLED} - {e.name for e in external}
        if unknown:
            print(f"error: no such set: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        external = [e for e in external if e.name in args.only_sets]
    run_bundled = not args.only_sets or BUNDLED in args.only_sets
    thresholds = args.thresholds or THRESHOLDS
    try:
        args.sample_size = sample_size(thresholds) if args.sample else None
    except (OSError, ValueError) as exc:
        print(f"error: --sample: {exc}", file=sys.stderr)
        return 2

    assistant = Assistant(settings)
    try:
        judge = (LLMJudge.from_env(settings) if args.judge == "llm"
                 else BundledJudge(LlamaJudge(settings)) if args.judge == "bundled" else None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.judge_accuracy:
        report = judge_accuracy(judge or default_judge(assistant), load_judge_set())
        print(json.dumps(report, indent=2))
        return 0

    if args.cross and settings.selection != "learned":
        print(f"error: --cross measures the learned selection, not RAG_SELECTION={settings.selection}",
              file=sys.stderr)
        return 2
    cross_dir = tempfile.TemporaryDirectory(prefix="rag-eval-cross-") if args.cross else None
    pairs = load_pairs() if args.cross else []

    def held_out(name: str) -> Path | None:
        return held_out_selector(pairs, name, Path(cross_dir.name)) if cross_dir else None

    ablate = list(RULE_NAMES) if args.ablate == [] else (args.ablate or [])

    def variants(name: str) -> dict[str, dict]:
        """The set's extra runs: held out (--cross), and one per rule switched off (--ablate)."""
        out = {"held out": {"selection": str(selector)}} if (selector := held_out(name)) is not None else {}
        return out | {rule: {"rules_off": (rule,)} for rule in ablate}

    started = datetime.now().isoformat(timespec="seconds")
    progress = sys.stderr.isatty()
    runs: dict[str, list] = {}
    held: dict[str, list] = {}  # --cross: each set's results with the selection fitted without it
    ablated: dict[str, dict[str, list]] = {rule: {} for rule in ablate}  # --ablate: per rule off, per set

    def keep(name: str, extra: dict[str, list]) -> None:
        if "held out" in extra:
            held[name] = extra["held out"]
        for rule in ablate:
            ablated[rule][name] = extra[rule]

    if run_bundled:
        if args.screen:
            assistant.engine()  # the index, built if needed
            screened(BUNDLED, assistant)
        runs[BUNDLED] = run(assistant, select(items, args), judge, progress=progress, label=BUNDLED)
        keep(BUNDLED, {label: run(assistant.derive(**changes), select(items, args), judge, progress=progress,
                                  label=f"{BUNDLED}, {label}" + (" off" if label in ablate else ""))
                       for label, changes in variants(BUNDLED).items()})
        if args.baseline:
            from .baseline import baseline_answerer

            runs["baseline"] = run(assistant, select(items, args), judge, answerer=baseline_answerer(assistant),
                                   progress=progress, label="baseline")
    for eval_set in external:
        try:
            set_items = select(load_set_items(eval_set), args)
        except GoldError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        runs[eval_set.name], extra = run_external(eval_set, set_items, assistant, judge, progress,
                                                  variants(eval_set.name), screen=args.screen)
        keep(eval_set.name, extra)
    if not runs:
        print("error: no gold set to run", file=sys.stderr)
        return 2
    if len(runs) > 1:
        runs["overall"] = [r for name, results in runs.items() if name != "baseline" for r in results]

    accuracy = judge_accuracy(judge or default_judge(assistant), load_judge_set())  # how far to trust verdicts
    meta = {"started": started, "gold": ", ".join(n for n in runs if n != "overall"),
            "questions": sum(len(r) for n, r in runs.items() if n not in ("overall", "baseline")),
            "judge": f"{args.judge} (accuracy {accuracy['accuracy']:.2f} on {accuracy['cases']} labelled pairs)",
            "settings": f"backend={settings.backend}, top_k={settings.top_k}, hybrid={settings.hybrid}"}
    if args.sample:
        meta["sample"] = f"at most {args.sample_size} questions a set (eval/sample.py)"
    summaries = {}
    for name, results in runs.items():
        summaries[name] = summarize(results)
        if not args.json:
            print(f"\n== {name} ==")
            print(terminal_table(results, summaries[name]))
    if len(runs) > 1 and not args.json:
        print("\n" + set_table(summaries))
    crossed, inside = {}, {}
    if args.cross:
        crossed = {name: summarize(results) for name, results in held.items()}
        inside = {name: summaries[name] for name in held}
        if len(held) > 1:  # pooled over the sets run both ways
            crossed["overall"] = summarize([r for results in held.values() for r in results])
            inside["overall"] = summarize([r for name in held for r in runs[name]])
        table = cross_table(inside, crossed, [n for n in runs if n not in held and n not in ("overall", "baseline")])
        if not args.json:
            print("\n" + table)
        if cross_dir:
            cross_dir.cleanup()
    ablation = gains(runs, ablated) if ablate else {}
    if ablation and not args.json:
        print("\n" + ablation_table(ablation))
    if not args.no_report:
        folder = new_report_dir(args.out)
        if ablation:
            (folder / "ablation.md").write_text(f"# Rules ablated ({started})\n\n```\n{ablation_table(ablation)}\n```\n",
                                                encoding="utf-8")
            (folder / "ablation.json").write_text(json.dumps(ablation, indent=2), encoding="utf-8")
        write_report(folder, runs, meta)
        if args.cross:
            (folder / "cross.md").write_text(f"# Leave one set out ({started})\n\n```\n{table}\n```\n",
                                             encoding="utf-8")
            (folder / "cross.json").write_text(json.dumps({"in_sample": inside,
                                                           "held_out": crossed}, indent=2), encoding="utf-8")
        print(f"\nreport: {folder / 'report.html'}  (also report.md, results.json, metrics.png"
              + (", cross.md)" if args.cross else ")"))
    if args.json:
        print(json.dumps(summaries, indent=2))
    if args.verbose:
        for name, results in runs.items():
            print(f"\n== {name}: failures ==")
            for f in failures(results):
                print(f"{f['id']:<5} {f['kind']}: {f['detail']}")
    if args.check:
        problems = [f"{name}: {p}" for name in runs if name not in ("overall", "baseline")
                    for p in check_thresholds(summaries[name], thresholds, name, sample=args.sample)]
        problems += cross_problems(inside, crossed)
        if args.sets != "none" and not args.only_sets and not args.limit:  # every gated set must have run
            problems += [f"{name}: set not found in {args.sets}" for name in gated_sets(thresholds) if name not in runs]
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print("eval gate: " + ("FAILED" if problems else "passed"), file=sys.stderr)
        return 1 if problems else 0
    return 0


def select(items: list, args: argparse.Namespace) -> list:
    if args.only:
        items = [i for i in items if i.type == args.only]
    if getattr(args, "sample_size", None):
        items = spread_sample(items, args.sample_size)
    return items[: args.limit] if args.limit else items


def screened(name: str, assistant: Assistant) -> None:
    """The set's index screened for instructions to an AI (``--screen``), with what it cost."""
    started = time.perf_counter()
    job = assistant.screen()
    print(f"{name}: {job.describe()} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)


def run_external(eval_set: EvalSet, items: list, main: Assistant, judge, progress: bool,
                 variants: dict[str, dict] | None = None, screen: bool = False) -> tuple[list, dict[str, list]]:
    """Index the set's corpus into a temporary index of its own and run its questions (one judge model
    per process: the set's assistant shares the main one's); then once per variant (label: settings changes,
    e.g. a held-out selector file, a rule off) over the same index (the judge remembers its verdicts: a
    variant that changes few candidates costs little)."""
    with tempfile.TemporaryDirectory(prefix=f"rag-eval-{eval_set.name}-") as index_dir:
        settings = main.settings.replace(corpus_dir=eval_set.corpus_dir, index_dir=Path(index_dir), chroma_url=None,
                                         lexical_url=None, filter_doc_ids=(), date_from=None, date_to=None)
        with Assistant(settings, judge=main.judge()) as assistant:  # its files let go before the folder goes
            assistant.index(progress=progress)
            if screen:
                screened(eval_set.name, assistant)
            results = run(assistant, items, judge, progress=progress, label=eval_set.name)
            return results, {label: run(assistant.derive(**changes), items, judge, progress=progress,
                                        label=f"{eval_set.name}, {label}")
                             for label, changes in (variants or {}).items()}


def cross_problems(in_sample: dict[str, dict], held_out: dict[str, dict]) -> list[str]:
    """The sets whose held-out figure falls more than ``CROSS_TOLERANCE`` below the in-sample one."""
    return [f"{name}: held out {k} {held_out[name][k]:.3f} is more than {CROSS_TOLERANCE} below in-sample "
            f"{in_sample[name][k]:.3f}" for name in held_out if name != "overall" for k in CROSS_KEYS
            if held_out[name].get(k) is not None and in_sample[name].get(k) is not None
            and held_out[name][k] < in_sample[name][k] - CROSS_TOLERANCE]


def cross_table(in_sample: dict[str, dict], held_out: dict[str, dict], unseen: list[str]) -> str:
    """Per set: answerable right and unanswerable abstained with the selection fitted on every set (in-sample)
    and on the others only (held out), and the gap; sets the selection never saw are named below."""
    width = max([len(n) for n in held_out] + [len("mean of the sets")])
    lines = ["leave one set out: the learned selection fitted on every set (in) and without the set (held out)",
             f"{'set':<{width}}  {'answerable: in':>15} {'held out':>9} {'gap':>7}   "
             f"{'unanswerable: in':>17} {'held out':>9} {'gap':>7}"]

    def cells(name: str) -> str:
        out = []
        for k, w in zip(CROSS_KEYS, (15, 17)):
            a, b = in_sample[name].get(k), held_out[name].get(k)
            gap = f"{b - a:+.3f}" if a is not None and b is not None else "–"
            flag = " !" if a is not None and b is not None and b < a - CROSS_TOLERANCE else "  "
            out.append(f"{fmt(a):>{w}} {fmt(b):>9} {gap:>7}{flag}")
        return " ".join(out)

    for name in held_out:
        lines.append(f"{name:<{width}}  {cells(name)}")
    sets = [n for n in held_out if n != "overall"]
    if len(sets) > 1:  # each set weighing the same
        means = []
        for k, w in zip(CROSS_KEYS, (15, 17)):
            a = [in_sample[n][k] for n in sets if in_sample[n].get(k) is not None and held_out[n].get(k) is not None]
            b = [held_out[n][k] for n in sets if in_sample[n].get(k) is not None and held_out[n].get(k) is not None]
            means.append(f"{fmt(sum(a) / len(a)) if a else '–':>{w}} {fmt(sum(b) / len(b)) if b else '–':>9} "
                         f"{(f'{(sum(b) - sum(a)) / len(a):+.3f}' if a else '–'):>7}  ")
        lines.append(f"{'mean of the sets':<{width}}  " + " ".join(means))
    lines.append(f"(! : held out more than {CROSS_TOLERANCE} below in-sample)")
    if unseen:
        lines.append("not in the selection's training pool (held out already): " + ", ".join(unseen))
    return "\n".join(lines)


def set_table(summaries: dict[str, dict]) -> str:
    """One line per set: the figures the issue targets."""
    keys = ("questions", "answerable_correct", "abstained_when_unanswerable", "citations_in_gold_docs",
            "dangling_markers", "latency_p50_s", "latency_p95_s")
    width = max(len(n) for n in summaries)
    width = max(width, len("mean of the sets"))
    lines = [f"{'set':<{width}}  " + "  ".join(f"{k[:14]:>14}" for k in keys)]
    for name, s in summaries.items():
        lines.append(f"{name:<{width}}  " + "  ".join(f"{fmt(s.get(k)):>14}" for k in keys))
    sets = [s for name, s in summaries.items() if name not in ("overall", "baseline")]
    if len(sets) > 1:  # each set weighing the same, and the spread: the figure a new corpus should land near
        cells = []
        for k in keys[1:4]:
            values = [s[k] for s in sets if s.get(k) is not None]
            cells.append(f"{fmt(sum(values) / len(values)) if values else '–':>14}")
        lines.append(f"{'mean of the sets':<{width}}  {'':>14}  " + "  ".join(cells))
        lowest = min(sets, key=lambda s: s.get("answerable_correct") or 0.0)
        lines.append(f"{'lowest set':<{width}}  {'':>14}  {fmt(lowest.get('answerable_correct')):>14}")
    stages = [k for k in next(iter(summaries.values())) if k.startswith("lost: ")]
    if stages:
        lines += ["", "failed answerable questions, by where they were lost:",
                  f"{'set':<{width}}  " + "  ".join(f"{k[6:][:16]:>16}" for k in stages)]
        for name, s in summaries.items():
            lines.append(f"{name:<{width}}  " + "  ".join(f"{fmt(s.get(k)):>16}" for k in stages))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
