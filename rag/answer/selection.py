"""The learned selection: which of the judged units state the answer, from the judge's verdict and the rank
features together, by a logistic model fitted on the eval pool's labels (``python -m bench.selection fit``).

The model and its two thresholds are data, ``rag/answer/selection.json``, with what they were fitted on and their
held-out figures (each of the pool's sets scored by a model fitted on the other sets). ``rag.answer.presence`` asks
it once the judge has read a question's candidates: none is kept unless the surest reaches ``threshold``,
then every one reaching ``keep_threshold``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .question import QuestionProfile
from .units import Evidence

SELECTION_FILE = Path(__file__).resolve().parent / "selection.json"

LOGIT_CLIP = 6.0  # P(answered) of 0.0025 and 0.9975 read as the same: past this the logits are noise


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(p / (1 - p))))


def judge_gap(judged: float | None, surest: float | None) -> float:
    """How far the judge's verdict on a unit falls below its verdict on the question's surest unit (logits):
    the judge is surer on some corpora than others (dialog turns, reviews), its order within a question
    holds better than its level."""
    return _logit(judged) - _logit(surest) if judged is not None and surest is not None else 0.0


def selection_features(unit: Evidence, rank: int, best: Evidence, q: QuestionProfile,
                       judged: float | None, surest: float | None = None) -> dict[str, float]:
    """What the selector reads of one unit: the judge's verdict (as a logit, and against the question's
    surest unit), the rank stage's features and score, where it stands against the best-ranked unit, and
    what the question asks for."""
    f = unit.features
    return {
        "judge": _logit(judged) if judged is not None else 0.0,
        "judge_gap": judge_gap(judged, surest),
        "score": unit.score,
        "relative_score": unit.score / best.score if best.score > 0 else 0.0,
        "rank": float(rank),
        "coverage": f.get("coverage", 0.0),
        "window_coverage": f.get("window_coverage", 0.0),
        "similarity": f.get("similarity", 0.0),
        "answer_type": f.get("answer_type", 0.0),
        "speaker": f.get("speaker", 0.0),
        "open": float(q.open),
        "wants_type": float(bool(q.wanted)),
        "judge_open": (_logit(judged) if judged is not None else 0.0) * float(q.open),
    }


@dataclass(frozen=True)
class Selector:
    """A logistic model over ``selection_features``: P(the unit states a key fact of the answer)."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]  # features are standardised with the training pool's mean and scale
    scale: tuple[float, ...]
    threshold: float  # the question is answered when its surest unit's probability reaches this ...
    keep_threshold: float | None = None  # ... and then every unit reaching this one is kept (default: threshold)

    def probability(self, x: dict[str, float]) -> float:
        z = self.intercept + sum(c * (x.get(name, 0.0) - m) / s
                                 for name, c, m, s in zip(self.features, self.coef, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def kept(self, probabilities: list[float]) -> list[bool]:
        """Which units to keep: none unless the surest reaches the threshold, then every one reaching the
        keep threshold."""
        keep = self.keep_threshold if self.keep_threshold is not None else self.threshold
        if not probabilities or max(probabilities) < self.threshold:
            return [False] * len(probabilities)
        return [p >= keep for p in probabilities]


def selector_for(selection: str) -> Selector | None:
    """The selector ``RAG_SELECTION`` names: the pool's (learned), none (bars: the judge's hand-set bars
    decide), or the one in a file."""
    if selection == "bars":
        return None
    return load_selector(SELECTION_FILE if selection == "learned" else Path(selection).expanduser().resolve())


@lru_cache(maxsize=16)
def load_selector(path: Path = SELECTION_FILE) -> Selector:
    """The selector stored at ``path`` (``python -m bench.selection fit`` writes it)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Selector(tuple(data["features"]), tuple(data["coef"]), data["intercept"], tuple(data["mean"]),
                    tuple(data["scale"]), data["threshold"], data.get("keep_threshold"))
