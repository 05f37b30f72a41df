"""The judge on a model server: the same prompts and readings as ``rag.models.judge.LlamaJudge``, asked of any
OpenAI-compatible server that returns log-probabilities (llama.cpp's ``llama-server`` and
``llama_cpp.server``, vLLM, OpenAI itself), so N app replicas share one model server and no app process
holds the judge's weights.

    RAG_JUDGE_BASE_URL=http://models:8080/v1  RAG_JUDGE_MODEL=bundled  [RAG_JUDGE_API_KEY=...]

Each verdict is one chat completion of one token with ``logprobs`` and the ``top_logprobs`` the API allows
(20): the server applies the model's own chat template, as the in-process judge does. What differs from
in-process is that only the 20 likeliest first tokens come back, by their text, not the whole vocabulary by
id: P(yes) is read against P(no) among them, and P(answered) is the mass of those that open a word of the
text (or "yes"). Measured against the in-process judge on the same GGUF (``python -m bench.judge_server``):
see docs/scale.md.
"""

from __future__ import annotations

import math
import re

from ..errors import ModelUnavailable, model_server_error
from ..prompts import Prompts
from ..settings import Settings
from .judge import _NO, _UNKNOWN, _YES, Verdicts, numbered_options
from .probe import load_probe, reading_tag

TOP_LOGPROBS = 20  # the most OpenAI's API returns; llama.cpp and vLLM allow it too


class ServerJudge:
    """The judge as a client of an OpenAI-compatible model server (``RAG_JUDGE_BASE_URL``)."""

    def __init__(self, settings: Settings, prompts: Prompts | None = None):
        from openai import OpenAI

        if not settings.judge_base_url:
            raise ModelUnavailable("the judge on a server needs RAG_JUDGE_BASE_URL")
        self.settings = settings
        self.prompts = prompts or Prompts()
        self.model = settings.judge_model or "bundled"
        self.client = OpenAI(base_url=settings.judge_base_url, api_key=settings.judge_api_key or "not-needed",
                             timeout=settings.request_timeout, max_retries=settings.model_retries)

    def close(self) -> None:
        self.client.close()

    def answers(self, question: str, candidates: list[str]) -> Verdicts:
        verdicts = Verdicts()
        for candidate in candidates:
            probs, tokens = self._first_token("judge_answer", candidate, question=question)
            verdicts.append(_p_answered_from(probs, candidate))
            verdicts.tokens += tokens
        return verdicts

    def entails(self, premise: str, claims: list[str]) -> list[float]:
        return [_p_yes(self._first_token("judge_entail", claim, premise=premise)[0]) for claim in claims]

    def yes_no(self, question: str, passage: str) -> float:
        return _p_yes(self._first_token("judge_yes_no", passage, question=question)[0])

    def instructions(self, passages: list[str]) -> list[float]:
        """P(an order to an AI): the judge's P("yes") as calibrated on the labelled set (a server gives no
        hidden state for the probe of ``rag.models.probe``)."""
        probe = load_probe()
        yes = [_p_yes(self._first_token("judge_injection", passage)[0]) for passage in passages]
        return [probe.p_from_yes(p) for p in yes] if probe is not None else yes

    def instruction_reading(self) -> str:
        """The tag of what ``instructions`` reads: the server's model, the prompt, the calibration."""
        return reading_tag(f"{self.settings.judge_base_url}/{self.model}", self.prompts["judge_injection"],
                           load_probe(), hidden=False)

    def referents(self, conversation: str, question: str, pronoun: str, options: list[str]) -> list[float]:
        if not options:
            return []
        numbered, count = numbered_options(options)
        probs = self._first_token("referent", numbered, conversation=conversation, question=question,
                                  pronoun=pronoun)[0]
        found = [sum(p for t, p in probs.items() if t.strip() == str(i)) for i in range(1, count + 1)]
        total = sum(found)
        return [f / total for f in found] if total > 0 else [1.0 / count] * count

    def _first_token(self, prompt: str, candidate: str, **fields: str) -> tuple[dict[str, float], int]:
        """{token text: probability} of the reply's first token, for the likeliest ``TOP_LOGPROBS`` tokens,
        and the prompt's tokens as the server counts them (0 when it does not say)."""
        import openai

        system, user = self.prompts.chat(prompt, **fields, candidate=candidate)
        try:
            reply = self.client.chat.completions.create(
                model=self.model, messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                max_tokens=1, temperature=0, logprobs=True, top_logprobs=TOP_LOGPROBS)
        except openai.APIError as exc:
            raise model_server_error(exc, "the judge's", self.settings.judge_base_url, "RAG_JUDGE_BASE_URL",
                                     self.model, "RAG_JUDGE_MODEL", self.settings.request_timeout) from exc
        try:
            top = reply.choices[0].logprobs.content[0].top_logprobs
        except (AttributeError, IndexError, TypeError):
            top = None
        if not top:
            raise ModelUnavailable(f"the judge's model server at {self.settings.judge_base_url} returned no "
                                   f"log-probabilities for model {self.model!r}: the judge "
                                   "needs a server that returns logprobs (llama.cpp, vLLM, OpenAI)")
        probs: dict[str, float] = {}
        for entry in top:
            probs[entry.token] = probs.get(entry.token, 0.0) + math.exp(entry.logprob)
        return probs, int(getattr(reply.usage, "prompt_tokens", 0) or 0)


def _p_yes(probs: dict[str, float]) -> float:
    """P(yes) against P(no) among the first tokens returned; 0.5 when neither is among them."""
    yes = sum(p for t, p in probs.items() if t in _YES)
    no = sum(p for t, p in probs.items() if t in _NO)
    return yes / (yes + no) if yes + no > 0 else 0.5


def _p_answered_from(probs: dict[str, float], candidate: str) -> float:
    """P(the reply opens with the text's own words, or "yes"), as ``LlamaJudge._p_answered_from`` reads it
    over the whole vocabulary: a token counts when a word of the text, as the reply could open with it (the
    word, after a space, capitalised), starts with it ("187" for "1871"; not "at" for "that")."""
    forms = set()
    for word in set(re.findall(r"\w+", candidate)):
        forms.update((word, " " + word, word[:1].upper() + word[1:]))
    found = 0.0
    for token, p in probs.items():
        if token in _UNKNOWN or not token.strip():
            continue
        if token in _YES or any(form.startswith(token) for form in forms):
            found += p
    return min(found, 1.0)
