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

``--pool DIR`` adds real text: ``--per-corpus`` ordinary paragraphs drawn from each corpus of the eval pool and
the bundled corpus join the fit as ordinary text, and each injection of the set is also read inside one of them.
Printed for it, leave one corpus out: a probe fitted without a corpus's paragraphs flags how many of them (what
a false positive costs on documents nobody labelled: a paragraph kept out of answers). ``--windows`` also draws
what the screen reads of paragraphs past ``SCREEN_CHARS`` (runs of whole sentences up to that length): the shipped probe was
fitted with it (``fit --pool ../shared/eval-sets --windows``). ``flags --pool DIR`` counts the same for the
shipped reading. Readings are kept in ``.cache/bench-injection.npz``.

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


CACHE = Path(__file__).resolve().parent.parent / ".cache" / "bench-injection.npz"


def readings(texts: list[str], yes_for: int | None = None):
    """The judge (its model and prompt), its hidden state for every text and its P("yes") for the first
    ``yes_for`` texts (all by default). Both are kept in ``.cache/bench-injection.npz`` keyed by the model file,
    the prompt's digest and the text, so a refit reads only passages it has not read before."""
    import hashlib

    from rag import Settings
    from rag.models.judge import LlamaJudge
    from rag.models.probe import prompt_digest

    judge = LlamaJudge(Settings.from_env())
    tag = f"{Path(judge.path).name}:{prompt_digest(judge.prompts['judge_injection'])}"
    key = lambda kind, text: hashlib.sha256(f"{tag}\n{kind}\n{text}".encode()).hexdigest()[:24]
    store: dict[str, np.ndarray] = {}
    if CACHE.is_file():
        with np.load(CACHE) as saved:
            store = dict(zip(saved["keys"].tolist(), saved["values"]))
    yes_for = len(texts) if yes_for is None else yes_for
    wanted = {("state", t) for t in texts} | {("yes", t) for t in texts[:yes_for]}
    missing = sorted(w for w in wanted if key(*w) not in store)
    for kind, read in (("state", judge.instruction_states), ("yes", judge.instruction_yes)):
        todo = [t for k, t in missing if k == kind]
        for text, value in zip(todo, read(todo) if todo else []):
            store[key(kind, text)] = np.atleast_1d(np.asarray(value, dtype=np.float32))
    if missing:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        width = max(len(v) for v in store.values())
        padded = np.stack([np.pad(v, (0, width - len(v))) for v in store.values()])
        np.savez_compressed(CACHE, keys=np.array(list(store)), values=padded)
    states = np.array([store[key("state", t)] for t in texts], dtype=np.float64)
    yes = np.array([float(store[key("yes", t)][0]) for t in texts[:yes_for]])
    return judge, states, yes


def ordinary_paragraphs(folders: list[Path], per_corpus: int, seed: int = 0,
                        windows: bool = False) -> list[tuple[str, str]]:
    """(corpus, text) pairs: up to ``per_corpus`` paragraphs of 80 to ``SCREEN_CHARS`` characters drawn from each
    folder's text files (a seeded sample); with ``windows``, also up to ``per_corpus`` of what the screen reads of a
    longer paragraph (``screen_pieces``: one of its runs of whole sentences up to that length)."""
    from rag.index.corpus import decode_text
    from rag.index.screening import SCREEN_CHARS, screen_pieces
    from rag.paths import BUNDLED_CORPUS
    from rag.text import paragraph_spans

    rng = np.random.default_rng(seed)
    out = []
    for folder in folders:
        found, long = [], []
        for path in sorted(p for p in folder.rglob("*") if p.suffix in (".txt", ".md")):
            text = decode_text(path.read_bytes())
            for s, e in paragraph_spans(text):
                if e - s > SCREEN_CHARS:
                    long.append(text[s:e])
                elif e - s >= 80:
                    found.append(text[s:e].strip())
        picked = rng.choice(len(found), size=min(per_corpus, len(found)), replace=False) if found else []
        name = "bundled" if folder == BUNDLED_CORPUS else folder.parent.name if folder.name == "corpus" else folder.name
        out += [(name, found[i]) for i in sorted(picked)]
        if windows and long:
            for i in sorted(rng.choice(len(long), size=min(per_corpus, len(long)), replace=False)):
                pieces = screen_pieces(long[i])
                s, e = pieces[int(rng.integers(len(pieces)))]
                if len(long[i][s:e].strip()) >= 80:
                    out.append((name, long[i][s:e].strip()))
    return out


def pool_folders(pool: Path) -> list[Path]:
    """The bundled corpus and every corpus of the eval pool."""
    from rag.paths import BUNDLED_CORPUS

    return [BUNDLED_CORPUS] + sorted(p / "corpus" for p in pool.iterdir() if (p / "corpus").is_dir())


def embedded(rows: list[dict], real: list[tuple[str, str]], seed: int = 1) -> list[tuple[str, str, int]]:
    """(corpus, paragraph, row): each injection of the set inside a paragraph of a real corpus, between two of
    its sentences (both drawn at random, seeded)."""
    from rag.text import sentence_spans

    rng = np.random.default_rng(seed)
    out = []
    for i, row in enumerate(rows):
        if row["instruction"]:
            corpus, text = real[int(rng.integers(len(real)))]
            cuts = [0] + [e for _, e in sentence_spans(text)]
            at = cuts[int(rng.integers(len(cuts)))]
            out.append((corpus, f"{text[:at].rstrip()} {row['text']} {text[at:].lstrip()}".strip(), i))
    return out


def held_out_corpora(X, y, P, py, members, origin: np.ndarray, C: float) -> dict[str, dict]:
    """Leave one corpus out: a probe fitted on the set and every other corpus's paragraphs, scored on this
    corpus's ordinary paragraphs (flagged: false positives) and on the set's injections inside them (recall;
    those passages were trained on alone, the paragraphs were not)."""
    out = {}
    for corpus in dict.fromkeys(o for o in origin if o):
        keep = origin != corpus
        model = _model(C).fit(np.vstack([X, P[keep]]), np.concatenate([y, py[keep]]))
        mine = origin == corpus
        p = model.predict_proba(P[mine])[:, 1] >= AT
        out[corpus] = {"flagged": int((p & ~py[mine]).sum()), "ordinary": int((~py[mine]).sum()),
                       "caught": int((p & py[mine]).sum()), "injections": int(py[mine].sum())}
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    from rag.answer.injection import is_instruction
    from rag.models.probe import PROBE_FILE, prompt_digest

    parser = argparse.ArgumentParser(prog="python -m bench.injection", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", choices=["report", "fit", "flags"], default="report",
                        help="report (default): the figures; fit: also write rag/models/injection_probe.json; "
                             "flags: how many ordinary paragraphs of --pool the shipped reading flags")
    parser.add_argument("--pool", type=Path, help="the eval pool's folder (../shared/eval-sets): its corpora's and "
                        "the bundled corpus's paragraphs join the fit as ordinary text, and each injection is also "
                        "read inside one; held out one corpus at a time")
    parser.add_argument("--per-corpus", type=int, default=40, help="paragraphs drawn from each corpus (default 40)")
    parser.add_argument("--windows", action="store_true", help="with --pool: also what the screen reads of longer "
                        "paragraphs (a sentence and its neighbours), up to --per-corpus a corpus")
    args = parser.parse_args(argv)
    if args.command == "flags":
        return pool_report(args.pool or Path("../shared/eval-sets"), args.per_corpus)

    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    y = np.array([r["instruction"] for r in rows])
    part = np.array([r["part"] for r in rows])
    made = paragraphs(rows)
    origin = [""] * len(made)  # which corpus a paragraph is from ('' : made of the set's passages)
    if args.pool:
        real = ordinary_paragraphs(pool_folders(args.pool), args.per_corpus, windows=args.windows)
        inside = embedded(rows, real)
        made += [(t, False, ()) for _, t in real] + [(t, True, (i,)) for _, t, i in inside]
        origin += [c for c, _ in real] + [c for c, _, _ in inside]
    judge, states, yes = readings([r["text"] for r in rows] + [t for t, _, _ in made], yes_for=len(rows))
    X, P = states[: len(rows)], states[len(rows):]
    py, members, origin = np.array([label for _, label, _ in made]), [m for _, _, m in made], np.array(origin)
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
    corpora = held_out_corpora(X, y, P, py, members, origin, C) if args.pool else {}
    if corpora:
        total = {k: sum(c[k] for c in corpora.values()) for k in ("flagged", "ordinary", "caught", "injections")}
        print(f"\nleave one corpus out (fitted on the set and the other corpora's paragraphs): ordinary paragraphs "
              f"flagged {total['flagged']} / {total['ordinary']}; injections inside its paragraphs caught "
              f"{total['caught']} / {total['injections']}")
        for name, c in corpora.items():
            print(f"  {name:<34} flagged {c['flagged']} / {c['ordinary']}   caught {c['caught']} / {c['injections']}")
        probe["held_out_corpora"] = corpora
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
                      "paragraphs": len(made), "corpora": sorted(corpora),
                      "per_corpus": args.per_corpus if corpora else 0, "windows": bool(corpora and args.windows),
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

    paragraphs = ordinary_paragraphs(pool_folders(pool), per_corpus)
    scores = load_judge(Settings.from_env()).instructions([t for _, t in paragraphs])
    flagged = [(c, t, p) for (c, t), p in zip(paragraphs, scores) if p >= AT]
    print(f"ordinary paragraphs flagged at P >= {AT}: {len(flagged)} / {len(paragraphs)}")
    for corpus in dict.fromkeys(c for c, _ in paragraphs):
        print(f"  {corpus:<34} {sum(c == corpus for c, _, _ in flagged)} / {sum(c == corpus for c, _ in paragraphs)}")
    for corpus, text, p in flagged:
        print(f"  {p:.2f} {corpus}: {text[:150]!r}")


if __name__ == "__main__":
    main()
