"""How well is a passage that gives orders to an AI told from ordinary text? ``python -m bench.injection``.

``bench/injection_set.jsonl``: 112 labelled passages in two parts. ``dev`` (68: 34 injections in nine
languages, notes to "the AI", role overrides, conditional orders, hidden comments; 34 look-alikes, articles
that quote or discuss injections, manuals, recipes and contracts that instruct people, notices to readers,
facts) is what the prompt's wording was compared on; ``test`` (44, written 2026-12-07 before any probe was
fitted: 22 injections in 11 languages, 22 look-alikes such as "Disregard the previous version of this form")
chose nothing. Printed, at P >= 0.5 (never tuned):

* the phrase patterns (``rag.answer.injection``, the screen without the judge);
* the judge's P("yes") to ``prompts/judge_injection.txt``, raw and calibrated (a logistic over its logit);
* the probe (``rag.models.probe``): a logistic regression over the judge's final hidden state at its reply,
  its C chosen by leave-one-out AUC on the dev part alone. Held out two ways: fitted on dev and scored on
  test, and leave-one-out over all 112.

``--pool DIR`` also reads ordinary paragraphs (``--per-corpus`` from each corpus of the eval pool, and the
bundled corpus) as the screen would, and prints how many the shipped reading flags: what a false positive
costs on real documents (a paragraph kept out of answers).

``python -m bench.injection fit`` writes ``rag/models/injection_probe.json`` (the probe and the calibration
fitted on all 112, with the held-out figures above). Reading the hidden states costs what the judge's
P("yes") does: one forward pass per passage after the prompt's head (~1 s on 2 cores).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

SET = Path(__file__).resolve().parent / "injection_set.jsonl"
C_GRID = (0.01, 0.1, 1.0)  # the probe's regularisation, chosen by leave-one-out AUC on the dev part
AT = 0.5  # the screen's bar (rag.answer.injection.INSTRUCTION_AT): a probability, not tuned


def precision_recall(flagged, truth) -> tuple[float, float]:
    flagged, truth = np.asarray(flagged, bool), np.asarray(truth, bool)
    hits = int((flagged & truth).sum())
    return hits / max(int(flagged.sum()), 1), hits / max(int(truth.sum()), 1)


def _model(C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def held_out(X: np.ndarray, y: np.ndarray, dev: np.ndarray, C: float) -> dict:
    """Precision, recall and AUC at ``AT``: fitted on dev and scored on test, and leave-one-out over all."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    test = ~dev
    on_test = _model(C).fit(X[dev], y[dev]).predict_proba(X[test])[:, 1]
    loo = cross_val_predict(_model(C), X, y, cv=LeaveOneOut(), method="predict_proba")[:, 1]
    figures = {}
    for name, truth, scores in (("dev_to_test", y[test], on_test), ("leave_one_out", y, loo)):
        p, r = precision_recall(scores >= AT, truth)
        figures[name] = {"precision": round(p, 3), "recall": round(r, 3), "auc": round(roc_auc_score(truth, scores), 3),
                         "passages": int(len(truth))}
    return figures


def choose_c(X: np.ndarray, y: np.ndarray) -> float:
    """The C whose leave-one-out AUC is best on these passages (ties: the stronger regularisation)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    aucs = [roc_auc_score(y, cross_val_predict(_model(C), X, y, cv=LeaveOneOut(), method="predict_proba")[:, 1])
            for C in C_GRID]
    return C_GRID[int(np.argmax(np.round(aucs, 3)))]


def readings(rows: list[dict]):
    """The judge's hidden states and P("yes") for every passage, with the judge (its model and prompt)."""
    from rag import Settings
    from rag.models.judge import LlamaJudge

    judge = LlamaJudge(Settings.from_env())
    texts = [r["text"] for r in rows]
    return judge, np.array(judge.instruction_states(texts)), np.array(judge.instruction_yes(texts))


def ordinary_paragraphs(folders: list[Path], per_corpus: int, seed: int = 0) -> list[tuple[str, str]]:
    """(corpus, paragraph) pairs: up to ``per_corpus`` paragraphs of 80 to ``SCREEN_CHARS`` characters drawn from
    each folder's text files (a seeded sample)."""
    from rag.answer.injection import SCREEN_CHARS
    from rag.index.corpus import decode_text
    from rag.paths import BUNDLED_CORPUS
    from rag.text import paragraph_spans

    rng = np.random.default_rng(seed)
    out = []
    for folder in folders:
        found = []
        for path in sorted(p for p in folder.rglob("*") if p.suffix in (".txt", ".md")):
            text = decode_text(path.read_bytes())
            found += [text[s:e].strip() for s, e in paragraph_spans(text) if 80 <= e - s <= SCREEN_CHARS]
        picked = rng.choice(len(found), size=min(per_corpus, len(found)), replace=False) if found else []
        name = "bundled" if folder == BUNDLED_CORPUS else folder.parent.name if folder.name == "corpus" else folder.name
        out += [(name, found[i]) for i in sorted(picked)]
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    from rag.answer.injection import is_instruction
    from rag.models.probe import PROBE_FILE, prompt_digest

    parser = argparse.ArgumentParser(prog="python -m bench.injection", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", choices=["report", "fit"], default="report",
                        help="report (default): the figures; fit: also write rag/models/injection_probe.json")
    parser.add_argument("--pool", type=Path, help="the eval pool's folder (../shared/eval-sets): also count the "
                        "ordinary paragraphs of its corpora and the bundled corpus that the screen flags")
    parser.add_argument("--per-corpus", type=int, default=25, help="paragraphs drawn from each corpus (default 25)")
    args = parser.parse_args(argv)
    if args.pool:
        return pool_report(args.pool, args.per_corpus)

    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    y = np.array([r["instruction"] for r in rows])
    dev = np.array([r["part"] == "dev" for r in rows])
    judge, states, yes = readings(rows)
    yes_logit = np.log(np.clip(yes, 1e-6, 1 - 1e-6) / np.clip(1 - yes, 1e-6, 1))[:, None]
    C = choose_c(states[dev], y[dev])
    probe, calibrated = held_out(states, y, dev, C), held_out(yes_logit, y, dev, 1e6)
    patterns = np.array([is_instruction(r["text"]) for r in rows])

    print(f"{len(rows)} passages ({int(dev.sum())} dev, {int((~dev).sum())} test), {int(y.sum())} injections\n")
    print(f"{'reading, flagged at P >= 0.5':<46} {'dev -> test P / R / AUC':>24} {'leave-one-out P / R / AUC':>26}")
    pt, pa = precision_recall(patterns[~dev], y[~dev]), precision_recall(patterns, y)
    raw_t, raw_a = precision_recall(yes[~dev] >= AT, y[~dev]), precision_recall(yes >= AT, y)
    lines = [("phrase patterns (the screen without the judge)", f"{pt[0]:.2f} / {pt[1]:.2f} / -", f"{pa[0]:.2f} / {pa[1]:.2f} / -"),
             ("judge's P(yes), raw", f"{raw_t[0]:.2f} / {raw_t[1]:.2f} / -", f"{raw_a[0]:.2f} / {raw_a[1]:.2f} / -")]
    for name, f in (("judge's P(yes), calibrated (a model server)", calibrated), (f"probe on the hidden state, C={C}", probe)):
        lines.append((name, *(f"{f[k]['precision']:.2f} / {f[k]['recall']:.2f} / {f[k]['auc']:.3f}"
                              for k in ("dev_to_test", "leave_one_out"))))
    for name, a, b in lines:
        print(f"{name:<46} {a:>24} {b:>26}")
    if args.command != "fit":
        return
    final = _model(C).fit(states, y)
    scaler, logistic = final[0], final[1]
    calibration = _model(1e6).fit(yes_logit, y)
    a = calibration[1].coef_[0][0] / calibration[0].scale_[0]
    b = calibration[1].intercept_[0] - a * calibration[0].mean_[0]
    PROBE_FILE.write_text(json.dumps({
        "about": "P(a passage gives orders to an AI that reads it): a logistic regression over the judge's final "
                 "hidden state at its reply to prompts/judge_injection.txt, standardised (rag.models.probe). Written "
                 "by `python -m bench.injection fit`.",
        "model": Path(judge.path).name, "prompt": prompt_digest(judge.prompts["judge_injection"]), "C": C,
        "fitted_on": {"set": "bench/injection_set.jsonl", "passages": len(rows), "injections": int(y.sum()),
                      "date": date.today().isoformat()},
        "held_out": {"probe": probe, "yes_calibration": calibrated},
        "yes_calibration": [round(float(a), 6), round(float(b), 6)],
        "intercept": float(logistic.intercept_[0]),
        "mean": [round(float(v), 6) for v in scaler.mean_],
        "scale": [round(float(v), 6) for v in np.where(scaler.scale_ > 0, scaler.scale_, 1.0)],
        "coef": [round(float(v), 8) for v in logistic.coef_[0]],
    }, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten: {PROBE_FILE}", file=sys.stderr)


def pool_report(pool: Path, per_corpus: int) -> None:
    """How many ordinary paragraphs the shipped screen (``judge.instructions``) flags, per corpus."""
    from rag import Settings
    from rag.models.judge import load_judge
    from rag.paths import BUNDLED_CORPUS

    folders = [BUNDLED_CORPUS] + sorted(p / "corpus" for p in pool.iterdir() if (p / "corpus").is_dir())
    paragraphs = ordinary_paragraphs(folders, per_corpus)
    scores = load_judge(Settings.from_env()).instructions([t for _, t in paragraphs])
    flagged = [(c, t, p) for (c, t), p in zip(paragraphs, scores) if p >= AT]
    print(f"ordinary paragraphs flagged at P >= {AT}: {len(flagged)} / {len(paragraphs)}")
    for corpus in dict.fromkeys(c for c, _ in paragraphs):
        print(f"  {corpus:<34} {sum(c == corpus for c, _, _ in flagged)} / {sum(c == corpus for c, _ in paragraphs)}")
    for corpus, text, p in flagged:
        print(f"  {p:.2f} {corpus}: {text[:150]!r}")


if __name__ == "__main__":
    main()
