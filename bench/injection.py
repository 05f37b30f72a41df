"""How well is a passage that gives orders to an AI told from ordinary text? ``python -m bench.injection``.

``bench/injection_set.jsonl``: 152 labelled passages in three parts, each written before anything was fitted
on it. ``dev`` (68: 34 injections in nine languages, notes to "the AI", role overrides, conditional orders,
hidden comments; 34 look-alikes, articles that quote or discuss injections, manuals, recipes and contracts that
instruct people, notices to readers, facts) is what the prompt's wording was compared on; ``test`` (44, 11
languages, look-alikes such as "Disregard the previous version of this form") and ``test2`` (40, 13
languages, half the injections inside ordinary paragraphs) were each scored before being trained on.

The screen reads whole paragraphs, so every passage is also read inside one: between two look-alikes drawn
from the set (seeded), keeping its label. Printed, flagged at P >= 0.5 (never tuned):

* the phrase patterns (``rag.answer.injection``, the screen without the judge);
* the judge's P("yes") to ``prompts/judge_injection.txt``, raw and calibrated (a logistic over its logit);
* the probe (``rag.models.probe``): a logistic regression over the judge's final hidden state at its reply,
  fitted on the passages and their paragraphs, its C chosen by cross-validated AUC on the dev part alone.
  Held out two ways: 10-fold cross-validation over the 152 (a paragraph is trained on only when every
  passage in it is in the training folds), and fitted on dev + test and scored on test2.

``--pool DIR`` also reads ordinary paragraphs (``--per-corpus`` from each corpus of the eval pool, and the
bundled corpus) as the screen would, and prints how many the shipped reading flags: what a false positive
costs on real documents (a paragraph kept out of answers).

``python -m bench.injection fit`` writes ``rag/models/injection_probe.json`` (the probe and the calibration
fitted on all 152 and their paragraphs, with the held-out figures above). Reading the hidden states costs what
the judge's P("yes") does: one forward pass per passage after the prompt's head (~1 s on 2 cores).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

from rag.answer.injection import INSTRUCTION_AT as AT  # the screen's bar: even odds, not tuned

SET = Path(__file__).resolve().parent / "injection_set.jsonl"
C_GRID = (0.01, 0.1, 1.0)  # the probe's regularisation, chosen by cross-validated AUC on the dev part


def precision_recall(flagged, truth) -> tuple[float, float]:
    flagged, truth = np.asarray(flagged, bool), np.asarray(truth, bool)
    hits = int((flagged & truth).sum())
    return hits / max(int(flagged.sum()), 1), hits / max(int(truth.sum()), 1)


def _model(C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def paragraphs(rows: list[dict], seed: int = 0) -> list[tuple[str, bool, tuple[int, ...]]]:
    """Each passage inside an ordinary paragraph: (text, its label, the rows it is made of), between two
    look-alikes of the set drawn at random."""
    rng = np.random.default_rng(seed)
    negatives = [i for i, r in enumerate(rows) if not r["instruction"]]
    out = []
    for i, row in enumerate(rows):
        a, b = rng.choice([n for n in negatives if n != i], 2, replace=False)
        out.append((f"{rows[a]['text']} {row['text']} {rows[b]['text']}", bool(row["instruction"]), (i, int(a), int(b))))
    return out


def fit_predict(X, y, train: np.ndarray, test: np.ndarray, P, py, members, C: float) -> np.ndarray:
    """P(injection) for the ``test`` passages from a probe fitted on the ``train`` passages and the paragraphs
    made only of them (``P``: the paragraphs' states, ``py`` their labels, ``members`` their rows)."""
    allowed = set(np.flatnonzero(train))
    inside = np.array([set(m) <= allowed for m in members], dtype=bool)
    model = _model(C).fit(np.vstack([X[train], P[inside]]), np.concatenate([y[train], py[inside]]))
    return model.predict_proba(X[test])[:, 1]


def cross_validated(X, y, P, py, members, C: float, rows_mask: np.ndarray | None = None, folds: int = 10):
    """Out-of-fold P(injection) for every passage (of ``rows_mask``), stratified ``folds``-fold, seeded."""
    from sklearn.model_selection import StratifiedKFold

    idx = np.flatnonzero(rows_mask if rows_mask is not None else np.ones(len(y), bool))
    scores = np.full(len(y), np.nan)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(idx, y[idx]):
        train, test = np.zeros(len(y), bool), np.zeros(len(y), bool)
        train[idx[tr]], test[idx[te]] = True, True
        scores[test] = fit_predict(X, y, train, test, P, py, members, C)
    return scores


def figures(truth, scores) -> dict:
    from sklearn.metrics import roc_auc_score

    p, r = precision_recall(scores >= AT, truth)
    return {"precision": round(p, 3), "recall": round(r, 3), "auc": round(roc_auc_score(truth, scores), 3),
            "passages": int(len(truth))}


def readings(texts: list[str]):
    """The judge's hidden states and P("yes") for every text, with the judge (its model and prompt)."""
    from rag import Settings
    from rag.models.judge import LlamaJudge

    judge = LlamaJudge(Settings.from_env())
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
    part = np.array([r["part"] for r in rows])
    made = paragraphs(rows)
    judge, states, yes = readings([r["text"] for r in rows] + [t for t, _, _ in made])
    X, P, yes = states[: len(rows)], states[len(rows):], yes[: len(rows)]
    py, members = np.array([label for _, label, _ in made]), [m for _, _, m in made]
    dev, seen = part == "dev", part != "test2"
    C = max(C_GRID, key=lambda c: round(figures(y[dev], cross_validated(X, y, P, py, members, c, dev)[dev])["auc"], 3))
    probe = {"cross_validated": figures(y, cross_validated(X, y, P, py, members, C)),
             "fitted_on_dev_and_test_scored_on_test2": figures(y[~seen], fit_predict(X, y, seen, ~seen, P, py, members, C))}
    logit = np.log(np.clip(yes, 1e-6, 1 - 1e-6) / np.clip(1 - yes, 1e-6, 1))[:, None]
    calibrated = {"cross_validated": figures(y, cross_validated(logit, y, logit[:0], py[:0], [], 1e6)),
                  "fitted_on_dev_and_test_scored_on_test2": figures(
                      y[~seen], fit_predict(logit, y, seen, ~seen, logit[:0], py[:0], [], 1e6))}
    patterns = np.array([is_instruction(r["text"]) for r in rows])

    print(f"{len(rows)} passages ({', '.join(f'{k} {int((part == k).sum())}' for k in dict.fromkeys(part))}), "
          f"{int(y.sum())} injections; each also inside a paragraph\n")
    print(f"{'reading, flagged at P >= 0.5':<46} {'10-fold P / R / AUC':>22} {'dev+test -> test2 P / R / AUC':>31}")
    lines = [("phrase patterns (the screen without the judge)", precision_recall(patterns, y),
              precision_recall(patterns[~seen], y[~seen])),
             ("judge's P(yes), raw", precision_recall(yes >= AT, y), precision_recall(yes[~seen] >= AT, y[~seen]))]
    for name, pr_all, pr_t2 in lines:
        print(f"{name:<46} {f'{pr_all[0]:.2f} / {pr_all[1]:.2f} / -':>22} {f'{pr_t2[0]:.2f} / {pr_t2[1]:.2f} / -':>31}")
    for name, f in (("judge's P(yes), calibrated (a model server)", calibrated), (f"probe on the hidden state, C={C}", probe)):
        print(f"{name:<46}", *(f"{f[k]['precision']:.2f} / {f[k]['recall']:.2f} / {f[k]['auc']:.3f}".rjust(w)
                               for k, w in (("cross_validated", 22), ("fitted_on_dev_and_test_scored_on_test2", 31))))
    if args.command != "fit":
        return
    final = _model(C).fit(np.vstack([X, P]), np.concatenate([y, py]))
    scaler, logistic = final[0], final[1]
    calibration = _model(1e6).fit(logit, y)
    a = calibration[1].coef_[0][0] / calibration[0].scale_[0]
    b = calibration[1].intercept_[0] - a * calibration[0].mean_[0]
    PROBE_FILE.write_text(json.dumps({
        "about": "P(a passage gives orders to an AI that reads it): a logistic regression over the judge's final "
                 "hidden state at its reply to prompts/judge_injection.txt, standardised (rag.models.probe). Written "
                 "by `python -m bench.injection fit`.",
        "model": Path(judge.path).name, "prompt": prompt_digest(judge.prompts["judge_injection"]), "C": C,
        "fitted_on": {"set": "bench/injection_set.jsonl", "passages": len(rows), "injections": int(y.sum()),
                      "paragraphs": len(made), "date": date.today().isoformat()},
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
