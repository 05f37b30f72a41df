"""Which judge prompt separates answers from non-answers best on the pool, held out? Re-judges the collected pairs.

    python -m bench.judge_prompts score VARIANT [VARIANT ...]   # ~15 min a variant on 2 cores
    python -m bench.judge_prompts compare                       # seconds: the table below

``score`` has the bundled judge read every judged unit of ``bench.selection collect``'s pairs (their texts are in
``.cache/selection_pairs.jsonl``, the question as the judge saw it in ``judged_question``) with each variant's
prompt (``VARIANTS``), and keeps the verdicts in ``.cache/judge_variants.jsonl``. ``compare`` prints, per variant,
the judge's AUC per set (a unit stating a key fact of an answerable question against the others) and the learned
selection's proxy score held out (leave one set out, ``eval.selection.cross``) with the verdicts of that variant in
place of the current ones, or beside them (``+``: the variant's logit as one more feature).
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import re
import sys
import tempfile
from pathlib import Path

from bench.selection import COLLECTED, cross_table
from eval.selection import FEATURES, C, cross, judged_questions, load_pairs
from eval.sets import DEFAULT_SETS_DIR
from rag import Settings
from rag.answer.selection import _logit, judge_gap
from rag.models.judge import LlamaJudge
from rag.paths import cache_home
from rag.prompts import Prompts
from rag.text import is_heading, paragraph_spans, reflow, sentence_spans, words

SCORES = cache_home() / "judge_variants.jsonl"

# name: (prompt text, how the verdict is read: "answered" = P(the reply starts with the text's words or yes),
# "yes" = P(yes) against P(no))
VARIANTS = {
    "current": ((Path(__file__).resolve().parents[1] / "prompts" / "judge_answer.txt").read_text(), "answered"),
    "sentence": ('You answer questions from a text. If the text does not contain the answer, reply exactly '
                 '"unknown".\n---\nText: {candidate}\n\nQuestion: {question}\n\nAnswer from the text, in its own '
                 'words (a few words or a sentence; yes or no, if the question asks yes or no), or reply '
                 '"unknown".', "answered"),
    "relevant": ("You check whether a text answers a question.\n---\nText: {candidate}\n\nQuestion: {question}\n\n"
                 "Does the text answer the question, fully or in part? Answer yes or no.", "yes"),
    # the current prompt, the unit read after the sentence before it in its paragraph (its speaker, its subject)
    "context": ((Path(__file__).resolve().parents[1] / "prompts" / "judge_answer.txt").read_text(), "answered"),
    # the current prompt with eight worked examples in its system part, invented and of no pool set (a name,
    # a place, a job, yes, a "what if", a request for help, two "unknown" on the text's topic); the system
    # part is the same for every question, so its tokens stay in the KV cache
    "fewshot": ((Path(__file__).resolve().parent / "prompts" / "judge_fewshot.txt").read_text(), "answered"),
    # the current prompt, the unit read under the section heading it stands below in its document (the last
    # paragraph before it that is a heading line: "4. EXCLUSIVITY", "Proposed Method ::: Loss Functions")
    "heading": ((Path(__file__).resolve().parents[1] / "prompts" / "judge_answer.txt").read_text(), "answered"),
    "helps": ("You help a reader find answers in documents.\n---\nQuestion: {question}\n\nPassage: {candidate}\n\n"
              "Would quoting this passage answer the question or tell the reader what they asked about? "
              "Answer yes or no.", "yes"),
}


def score(variants: list[str]) -> None:
    records = judged_questions(load_pairs(COLLECTED))
    done = {(v["variant"], v["set"], v["id"]) for v in _scores()}
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as folder, SCORES.open("a", encoding="utf-8") as out:
        for name in variants:
            text, reading = VARIANTS[name]
            Path(folder, f"judge_{name}.txt").write_text(text, encoding="utf-8")
            judge = LlamaJudge(settings.replace(judge_memo=0), Prompts(Path(folder)))
            judge._model()
            read = judge._p_answered_from if reading == "answered" else judge._p_yes
            for r in records:
                if (name, r["set"], r["id"]) in done:
                    continue
                units = [u for u in r["units"] if not u["pre_rejected"]]
                reads = [with_sentence_before(r["set"], u, settings) if name == "context"
                         else with_heading(r["set"], u, settings) if name == "heading" else u["read"] for u in units]
                # a unit read as it was is not read again: its verdict is the stored one (same prompt)
                fresh = [i for i, (u, text) in enumerate(zip(units, reads)) if text != u["read"] or name != "heading"]
                ps = [u["p"] for u in units]
                scored = judge._score(f"judge_{name}", {"question": r["judged_question"]}, [reads[i] for i in fresh],
                                      read) if fresh else []
                for i, p in zip(fresh, scored):
                    ps[i] = p
                out.write(json.dumps({"variant": name, "set": r["set"], "id": r["id"], "p": ps}) + "\n")
                out.flush()
            print(f"{name}: scored", file=sys.stderr)


@functools.lru_cache(maxsize=64)
def _document(path: Path) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """A document's text (whitespace collapsed within its paragraphs), its sentences and paragraphs."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    text = "\n\n".join(reflow(raw[s:e]) for s, e in paragraph_spans(raw))
    return text, sentence_spans(text), paragraph_spans(text)


def _located(set_name: str, unit: dict, settings: Settings) -> tuple[str, list, list, int]:
    """The unit's document in the set's corpus (its text, sentences and paragraphs) and where the unit is in it
    (-1: not found)."""
    folder = settings.corpus_dir if set_name == "bundled" else DEFAULT_SETS_DIR / set_name / "corpus"
    path = next(folder.glob(f"{unit['doc']}.*"), None)
    if path is None:
        return "", [], [], -1
    text, sentences, paragraphs = _document(path)
    return text, sentences, paragraphs, text.find(reflow(unit["text"])[:80])


def with_sentence_before(set_name: str, unit: dict, settings: Settings) -> str:
    """What the judge read of the unit, with the sentence before it in its paragraph put before it (as
    ``rag.answer.presence.judge_text(context=True)`` does), found in the set's corpus file."""
    text, sentences, paragraphs, at = _located(set_name, unit, settings)
    before = [(s, e) for s, e in sentences if e <= at]
    if at < 0 or not before or any(s <= before[-1][0] < e and e < at for s, e in paragraphs):
        return unit["read"]
    title, _, body = unit["read"].partition(") ")
    return f"{title}) {text[before[-1][0]:before[-1][1]]} {body}"


def with_heading(set_name: str, unit: dict, settings: Settings) -> str:
    """What the judge read of the unit, its title followed by the heading it stands under in its document:
    the last paragraph before it that is a heading line (``rag.text.is_heading``), if any."""
    text, _, paragraphs, at = _located(set_name, unit, settings)
    title, _, body = unit["read"].partition(") ")
    # not the document's own title line again, nor a metadata line ("License: cc-by", "2017-05-25")
    headings = [text[s:e].strip() for s, e in paragraphs if e <= at and is_heading(text, s, e)
                and words(text[s:e]) != words(title) and not re.match(r"\w+\s*:(?!::)", text[s:e].strip())
                and re.search(r"[^\W\d_]{3}", text[s:e])]
    if at < 0 or not headings:
        return unit["read"]
    return f"{title} — {headings[-1]}) {body}"


def _scores() -> list[dict]:
    if not SCORES.is_file():
        return []
    return [json.loads(line) for line in SCORES.open(encoding="utf-8") if line.strip()]


def with_variant(records: list[dict], scores: dict, name: str, beside: bool) -> list[dict]:
    """The records with the variant's verdicts in place of the judge's (or, ``beside``, as feature ``judge2``)."""
    out = []
    for r in records:
        ps = scores.get((name, r["set"], r["id"]))
        if ps is None:
            continue
        r = copy.deepcopy(r)
        units = [u for u in r["units"] if not u["pre_rejected"]]
        surest = max(ps, default=None)
        for u, p in zip(units, ps):
            if beside:
                u["x"]["judge2"] = _logit(p)
                u["x"]["judge2_gap"] = judge_gap(p, surest)
            else:
                u["p"] = p
                u["x"]["judge"] = _logit(p)
                u["x"]["judge_gap"] = judge_gap(p, surest)
                u["x"]["judge_open"] = _logit(p) * u["x"]["open"]
        out.append(r)
    return out


def auc(records: list[dict]) -> float | None:
    from sklearn.metrics import roc_auc_score

    y = [int(r["answerable"] and bool(u["facts_found"])) for r in records for u in r["units"] if not u["pre_rejected"]]
    p = [u["p"] for r in records for u in r["units"] if not u["pre_rejected"]]
    return round(float(roc_auc_score(y, p)), 3) if 0 < sum(y) < len(y) else None


def compare() -> None:
    records = judged_questions(load_pairs(COLLECTED))
    scores = {(v["variant"], v["set"], v["id"]): v["p"] for v in _scores()}
    names = [n for n in dict.fromkeys(v for v, _, _ in scores)  # the variants scored on every question
             if all((n, r["set"], r["id"]) in scores for r in records)]
    sets = list(dict.fromkeys(r["set"] for r in records))
    print("judge AUC per set (a unit stating a key fact vs the others)")
    print(f"{'variant':<10} pooled " + " ".join(f"{s[:10]:>10}" for s in sets))
    for name in ["stored"] + names:
        variant = records if name == "stored" else with_variant(records, scores, name, False)
        print(f"{name:<10} {auc(variant)!s:>6} " + " ".join(
            f"{auc([r for r in variant if r['set'] == s])!s:>10}" for s in sets))
    print(cross_table("selection held out, judge = stored (the current prompt)", cross(records, "x", FEATURES, C)))
    for name in names:
        print(cross_table(f"selection held out, judge = {name}",
                          cross(with_variant(records, scores, name, False), "x", FEATURES, C)))
        if name != "current":
            print(cross_table(f"selection held out, judge = current + {name}",
                              cross(with_variant(records, scores, name, True), "x",
                                    FEATURES + ["judge2", "judge2_gap"], C)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.judge_prompts", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score")
    s.add_argument("variants", nargs="+", choices=list(VARIANTS))
    sub.add_parser("compare")
    args = parser.parse_args(argv)
    if args.command == "score":
        score(args.variants)
    else:
        compare()


if __name__ == "__main__":
    main()
