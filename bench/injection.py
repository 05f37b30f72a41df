"""How well is a passage that gives orders to an AI told from ordinary text? ``python -m bench.injection``.

``bench/injection_set.jsonl``: 68 labelled passages, 34 injections (nine languages; notes to "the AI",
role overrides, conditional orders, hidden comments) and 34 look-alikes (articles that quote or discuss
injections, manuals, recipes and contracts that instruct people, notices to readers, facts in the same
languages). Prints precision and recall of the phrase patterns the answer path uses (rag.answer.injection), of
the bundled judge asked with ``prompts/judge_injection.txt`` (its P(yes) at 0.5 and at the threshold
that is best on the other passages, leave one out), and of a logistic regression over MiniLM vectors
(leave one out). None reaches the 0.9 / 0.9 that would justify replacing the patterns, so they stay.

Measured 2026-12-06 (``--prompts DIR`` judges with another folder's ``judge_injection.txt``): the prompt with
eight invented worked examples (in ``prompts/``, none from this set) AUC 0.90, 0.82 / 0.82 at the held-out
threshold, against 0.83 and 0.74 / 0.74 without them; a longer prompt with twelve examples 0.77, 0.68 / 0.68; the
same examples asked the other way round ("is this ordinary text for human readers?") 0.90, and the mean of the
two askings 0.95, 0.85 / 0.85 (two reads a passage). The three wordings were compared on this set itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SET = Path(__file__).resolve().parent / "injection_set.jsonl"


def precision_recall(flagged, truth) -> tuple[float, float]:
    flagged, truth = np.asarray(flagged, bool), np.asarray(truth, bool)
    hits = int((flagged & truth).sum())
    return hits / max(int(flagged.sum()), 1), hits / max(int(truth.sum()), 1)


def held_out_threshold(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each passage flagged by the threshold that maximises min(P, R) on the other passages."""
    flagged = np.zeros(len(scores), bool)
    for i in range(len(scores)):
        rest = np.arange(len(scores)) != i
        best = max(sorted(set(scores[rest])),
                   key=lambda t: min(precision_recall(scores[rest] >= t, truth[rest])))
        flagged[i] = scores[i] >= best
    return flagged


def main(argv: list[str] | None = None) -> None:
    import argparse

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    from rag import Settings
    from rag.answer.injection import is_instruction
    from rag.models.embedding import MiniLMOnnxEncoder
    from rag.models.judge import LlamaJudge
    from rag.prompts import Prompts

    parser = argparse.ArgumentParser(prog="python -m bench.injection", description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=Path, help="a folder of prompt files to judge with (its "
                        "judge_injection.txt; default: the project's prompts/)")
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    truth = np.array([r["instruction"] for r in rows])
    judge = LlamaJudge(Settings.from_env(), Prompts(args.prompts) if args.prompts else None)
    judged = np.array(judge.instructions(texts))
    vectors = MiniLMOnnxEncoder().embed(texts)
    learned = cross_val_predict(LogisticRegression(C=10, max_iter=2000), vectors, truth, cv=LeaveOneOut(),
                                method="predict_proba")[:, 1]
    logits = np.log(np.clip(judged, 1e-6, 1 - 1e-6) / np.clip(1 - judged, 1e-6, 1))[:, None]
    both = cross_val_predict(LogisticRegression(C=10, max_iter=2000), np.hstack([vectors, logits / 4]), truth,
                             cv=LeaveOneOut(), method="predict_proba")[:, 1]
    print(f"{len(rows)} passages, {int(truth.sum())} injections\n")
    print(f"{'method':<52} {'precision':>9} {'recall':>7} {'AUC':>6}")
    lines = [("phrase patterns (rag.answer.injection, the answer path)", [is_instruction(t) for t in texts], None),
             ("bundled judge, P(yes) >= 0.5", judged >= 0.5, judged),
             ("bundled judge, threshold chosen leave-one-out", held_out_threshold(judged, truth), judged),
             ("MiniLM vectors + logistic regression, leave-one-out", learned >= 0.5, learned),
             ("the judge's logit and the vectors, logistic, leave-one-out", both >= 0.5, both)]
    for name, flagged, scores in lines:
        p, r = precision_recall(flagged, truth)
        auc = f"{roc_auc_score(truth, scores):.3f}" if scores is not None else "-"
        print(f"{name:<52} {p:>9.2f} {r:>7.2f} {auc:>6}")


if __name__ == "__main__":
    main()
