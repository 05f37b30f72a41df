"""Whether a passage gives orders to an AI that reads it, learned from labels: a linear probe on the judge.

The bundled judge reads the passage under ``prompts/judge_injection.txt``; its reply, P("yes"), separates
injections from look-alikes (articles that quote injections, manuals that instruct people) poorly (AUC 0.90
on ``bench/injection_set.jsonl``). Its final hidden state at the reply (1,536 numbers, read with the same
forward pass) separates them far better: a logistic regression over it, fitted on the labelled set,
leave-one-out AUC 0.98 (``python -m bench.injection``). ``injection_probe.json`` holds the probe (standardised
weights), the P("yes") calibration used where no hidden state can be read (a model server, another model or
prompt), what both were fitted on and their held-out figures; ``python -m bench.injection fit`` writes it.

A probe belongs to one model and one prompt: ``InjectionProbe.fits`` checks both, and a judge that does not
match reads the calibrated P("yes") instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

PROBE_FILE = Path(__file__).resolve().parent / "injection_probe.json"


@functools.lru_cache(maxsize=1)
def load_probe() -> InjectionProbe | None:
    """The shipped probe (``injection_probe.json``), read once; None when the file is missing."""
    return InjectionProbe.load()


def prompt_digest(prompt_text: str) -> str:
    return hashlib.sha256(prompt_text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class InjectionProbe:
    model: str  # the GGUF file name the hidden states came from
    prompt: str  # prompt_digest of judge_injection.txt
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    yes_calibration: tuple[float, float]  # P = sigmoid(a * logit(P(yes)) + b), where no hidden state is read

    @classmethod
    def load(cls, path: Path = PROBE_FILE) -> InjectionProbe | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["model"], data["prompt"], tuple(data["mean"]), tuple(data["scale"]), tuple(data["coef"]),
                   float(data["intercept"]), tuple(data["yes_calibration"]))

    def fits(self, model_file: str, prompt_text: str) -> bool:
        """Whether this probe was fitted on this model's hidden states under this prompt."""
        return Path(model_file).name == self.model and prompt_digest(prompt_text) == self.prompt

    def p(self, hidden) -> float:
        """P(an order to an AI) from the judge's hidden state at its reply."""
        import numpy as np

        z = float((np.asarray(hidden) - self.mean) / self.scale @ np.asarray(self.coef)) + self.intercept
        return _sigmoid(z)

    def p_from_yes(self, p_yes: float) -> float:
        """P(an order to an AI) from the judge's P("yes") alone, calibrated on the same labels."""
        p_yes = min(max(p_yes, 1e-6), 1 - 1e-6)
        a, b = self.yes_calibration
        return _sigmoid(a * math.log(p_yes / (1 - p_yes)) + b)


def reading_tag(model: str, prompt_text: str, probe: InjectionProbe | None, hidden: bool) -> str:
    """What names an injection reading (verdicts stored under one tag are not reused under another): the model,
    the prompt's digest, and the probe's weights (``hidden``: read from the hidden state) or its calibration."""
    if probe is None:
        kind = "yes"
    else:
        weights = (probe.coef, probe.intercept) if hidden else probe.yes_calibration
        kind = ("probe:" if hidden else "calibrated:") + hashlib.sha256(repr(weights).encode()).hexdigest()[:12]
    return f"{Path(model).name}|{prompt_digest(prompt_text)}|{kind}"


def hidden_state(llm, last: list[int]):
    """A llama.cpp model's final hidden state (after its last norm, before the vocabulary) at the token ``last``,
    evaluated with embeddings switched on for that one token (llama.cpp then outputs every token of a batch)."""
    import llama_cpp
    import numpy as np

    llama_cpp.llama_set_embeddings(llm._ctx.ctx, True)
    try:
        llm.eval(last)
        row = llama_cpp.llama_get_embeddings_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(row, shape=(llm.n_embd(),)).astype(np.float64)
    finally:
        llama_cpp.llama_set_embeddings(llm._ctx.ctx, False)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
