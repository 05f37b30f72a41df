"""Judges: does a passage support a claim?

Two judges behind one interface (``judge(claim, passage) -> Verdict``):

* ``LexicalJudge`` (the offline default). No PyPI package ships the weights of an entailment (NLI)
  model, so this judge is deterministic: the claim's content words, weighted by rarity, must be found
  in the passage; every number and proper name of the claim must occur there; a word negated on one
  side must be negated on the other (else: contradicted); embedding similarity (the bundled MiniLM)
  admits close paraphrases. Its limits: it cannot follow reasoning across sentences, it accepts a claim
  that reuses the passage's words in a different relation ("Russia sanctioned China" against "China
  sanctioned Russia"), and it rejects paraphrases that share few words and little meaning-vector.
  ``python -m eval --judge-accuracy`` measures it on ``eval/judge_set.jsonl``.
* ``LLMJudge``: any OpenAI or OpenAI-compatible endpoint through the ``openai`` client, prompt in
  ``prompts/judge.txt``.
* ``BundledJudge``: the bundled Qwen2.5-Coder-1.5B, offline, through the library's ``rag.models.judge``
  entailment question (P(yes) from the logits). It shares the assistant's model, so it is not an
  independent grader of answers the assistant's own judge accepted; use it to measure, not to gate.

The judge is written independently of the assistant's citation guard (``rag.answer.guard``) so that the
eval does not grade the guard with its own rules.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag.paths import PROMPTS
from rag.text import normalize, stem, words

JUDGE_SET = Path(__file__).resolve().parent / "judge_set.jsonl"
LABELS = ("supported", "contradicted", "unsupported")

# Function words and reporting verbs: they carry no checkable content.
_FUNCTION = set(
    """a an the and or but of to in on at by for from with as is are was were be been being has have had
    do does did it its this that these those there their they them he she his her we our you your i
    which who whom whose what when where why how than then so such not no nor also very can could will
    would should may might must shall into over under about after before between during while since
    said says say told tell according added stressed noted
    article articles story dated published date carries earliest latest oldest newest recent
    """.split()  # words about the source and its metadata, not claims
)
_NEGATION = {"not", "no", "never", "none", "nothing", "neither", "nor", "without", "cannot", "didn't",
             "doesn't", "don't", "isn't", "wasn't", "weren't", "hasn't", "haven't", "won't", "can't",
             "declined", "refused"}


@dataclass
class Verdict:
    label: str  # supported | contradicted | unsupported
    score: float  # the judge's confidence that the passage supports the claim (0..1)
    reason: str = ""

    @property
    def supported(self) -> bool:
        return self.label == "supported"


def _content(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in _FUNCTION and w not in _NEGATION and len(w) > 1]


# Units and magnitudes change a claim as much as a digit does ("a month" vs "a year").
_QUANTITIES = {"day", "week", "month", "year", "decade", "century", "hundred", "thousand", "million", "billion",
               "trillion", "dozen", "half", "double", "twice", "percent"}
_REFUSALS = {"declined", "refused"}


def _numbers(text: str) -> set[str]:
    digits = {n.replace(",", "").rstrip(".") for n in re.findall(r"\d[\d,.]*", normalize(text))}
    return digits | {stem(w) for w in words(text) if stem(w) in _QUANTITIES}


def _names(text: str, lowercase_vocabulary: set[str] = frozenset()) -> set[str]:
    """Capitalised words; a sentence's first word too when the corpus never writes it in lower case."""
    tokens = re.findall(r"[A-Za-z][A-Za-z'’\-]+", normalize(text))
    names = {stem(t) for t in tokens[1:] if t[0].isupper() and t.lower() not in _FUNCTION}
    if tokens and tokens[0][0].isupper() and tokens[0].lower() not in _FUNCTION | lowercase_vocabulary:
        names.add(stem(tokens[0]))
    return names


def _acronym_in(acronym: str, passage: str) -> bool:
    """"SCO" in "Shanghai Cooperation Organization": the initials of consecutive capitalised words."""
    caps = [w for w in re.findall(r"[A-Za-z]+", passage) if w.lower() not in ("of", "and", "for", "the")]
    initials = "".join(w[0] if w[0].isupper() else " " for w in caps)
    return len(acronym) >= 2 and acronym.upper() in initials


def _negated(text: str) -> set[str]:
    """Content stems a negation governs: six words on within its clause; a refusal to the sentence end."""
    out = set()
    for sentence in re.split(r"[.!?;]", normalize(text)):
        tokens = words(sentence)
        for i, w in enumerate(tokens):
            if w in _REFUSALS:  # "declined to condemn the invasion ... or impose sanctions"
                out |= {stem(t) for t in tokens[i + 1 :] if t not in _FUNCTION and t not in _NEGATION}
        for clause in re.split(r"[,:]|\bbut\b|\band\b", sentence):
            tokens = words(clause)
            for i, w in enumerate(tokens):
                if w in _NEGATION and w not in _REFUSALS:
                    out |= {stem(t) for t in tokens[i + 1 : i + 7] if t not in _FUNCTION and t not in _NEGATION}
    return out


def _found(s: str, pool: set[str]) -> bool:
    if s in pool:
        return True
    # One inflection the light stemmer leaves apart (respond/response): a shared 5-letter prefix.
    return len(s) >= 5 and any(len(p) >= 5 and p[:5] == s[:5] and abs(len(p) - len(s)) <= 3 for p in pool)


class LexicalJudge:
    """Deterministic offline judge (see the module docstring for what it can and cannot see)."""

    name = "lexical"
    SUPPORTED = 0.75  # weighted share of the claim's content words the passage must contain

    def __init__(self, corpus_texts: list[str] | None = None, embed=None):
        self.doc_freq: Counter[str] = Counter()
        self.lowercase: set[str] = set()  # words the corpus writes in lower case (not names)
        self.n = 0
        for text in corpus_texts or []:
            self.lowercase.update(re.findall(r"\b[a-z][a-z'\-]+", text))
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                self.n += 1
                self.doc_freq.update(set(_content(sentence)))
        self.embed = embed  # list[str] -> unit vectors, optional

    def idf(self, s: str) -> float:
        return math.log((self.n + 1) / (self.doc_freq.get(s, 0) + 0.5)) if self.n else 1.0

    def judge(self, claim: str, passage: str) -> Verdict:
        claim_stems = list(dict.fromkeys(_content(claim)))
        if not claim_stems:
            return Verdict("unsupported", 0.0, "the claim has no checkable content")
        passage_stems = set(_content(passage))
        total = sum(self.idf(s) for s in claim_stems)
        missing = [s for s in claim_stems if not _found(s, passage_stems)]
        coverage = 1 - sum(self.idf(s) for s in missing) / total

        wrong_numbers = _numbers(claim) - _numbers(passage)
        if wrong_numbers:
            return Verdict("unsupported", min(coverage, 0.3), f"number not in passage: {sorted(wrong_numbers)}")
        acronyms = {stem(a) for a in re.findall(r"\b[A-Z]{2,}\b", claim) if _acronym_in(a, passage)}
        unknown_names = {n for n in _names(claim, self.lowercase) - acronyms
                         if not _found(n, passage_stems | _names(passage))}
        if unknown_names:
            return Verdict("unsupported", min(coverage, 0.3), f"name not in passage: {sorted(unknown_names)}")

        claim_neg, passage_neg = _negated(claim), _negated(passage)
        flipped = {s for s in claim_stems if _found(s, passage_stems) and ((s in claim_neg) != (s in passage_neg))}
        if flipped and coverage >= 0.5:
            return Verdict("contradicted", 0.0, f"negated on one side only: {sorted(flipped)}")

        similarity = 0.0
        if self.embed is not None:
            a, b = self.embed([claim, passage])
            similarity = float(a @ b)
        # A word the whole corpus never uses, missing from the passage too, is an added assertion.
        foreign = [s for s in missing if self.n and s not in self.doc_freq]
        if (coverage >= self.SUPPORTED and not foreign) or (coverage >= 0.6 and similarity >= 0.8):
            return Verdict("supported", max(coverage, similarity), "")
        return Verdict("unsupported", coverage, f"not in passage: {missing[:6]}")


class LLMJudge:
    """An LLM through the ``openai`` client (OpenAI or any OpenAI-compatible server)."""

    name = "llm"

    def __init__(self, base_url: str | None, model: str, api_key: str | None = None, timeout: float = 60.0):
        from openai import OpenAI

        self.model = model
        self.client = OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none",
                             timeout=timeout, max_retries=1)
        self.system = (PROMPTS / "judge.txt").read_text(encoding="utf-8").strip()

    @classmethod
    def from_env(cls, settings) -> LLMJudge:
        """The judge's model server (RAG_JUDGE_BASE_URL / RAG_JUDGE_MODEL / RAG_JUDGE_API_KEY: the same settings
        that put the assistant's own judge on a server), else the assistant's remote backend."""
        remote = settings.backend != "local"
        base_url = settings.judge_base_url or (settings.base_url if remote else None)
        model = settings.judge_model or (settings.model if remote else None)
        if not model:
            raise ValueError("the LLM judge needs RAG_JUDGE_MODEL (and RAG_JUDGE_BASE_URL for a local server), "
                             "or a remote backend (RAG_BACKEND=openai / openai-compatible)")
        return cls(base_url, model, settings.judge_api_key or settings.api_key)

    def judge(self, claim: str, passage: str) -> Verdict:
        messages = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": f"PASSAGE:\n{passage}\n\nCLAIM:\n{claim}\n\nVerdict:"},
        ]
        reply = self.client.chat.completions.create(model=self.model, messages=messages, temperature=0,
                                                    max_tokens=8)
        text = (reply.choices[0].message.content or "").strip().upper()
        for label in ("CONTRADICTED", "UNSUPPORTED", "SUPPORTED"):  # UNSUPPORTED contains SUPPORTED
            if label in text:
                return Verdict(label.lower(), 1.0 if label == "SUPPORTED" else 0.0, text[:40])
        return Verdict("unsupported", 0.0, f"unparsable verdict {text[:40]!r}")


class BundledJudge:
    """The bundled instruct model's entailment verdict (offline): supported when P(yes) >= ``threshold``."""

    name = "bundled Qwen2.5-Coder-1.5B (entailment, offline)"

    def __init__(self, llama_judge, threshold: float = 0.5):
        self.llama_judge = llama_judge
        self.threshold = threshold

    def judge(self, claim: str, passage: str) -> Verdict:
        p = self.llama_judge.entails(passage, [claim])[0]
        return Verdict("supported" if p >= self.threshold else "unsupported", p, f"P(yes)={p:.2f}")


@dataclass
class JudgeCase:
    id: str
    claim: str
    passage: str
    label: str  # supported | contradicted | unsupported | wrong_number | wrong_entity

    @property
    def supported(self) -> bool:
        return self.label == "supported"


def load_judge_set(path: Path = JUDGE_SET) -> list[JudgeCase]:
    cases = [JudgeCase(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path.name}: duplicate ids")
    return cases


def judge_accuracy(judge, cases: list[JudgeCase]) -> dict:
    """Accuracy of supported-vs-not, overall and per label, and the cases the judge got wrong."""
    per_label: dict[str, list[bool]] = {}
    wrong = []
    for case in cases:
        verdict = judge.judge(case.claim, case.passage)
        ok = verdict.supported == case.supported
        per_label.setdefault(case.label, []).append(ok)
        if not ok:
            wrong.append({"id": case.id, "label": case.label, "verdict": verdict.label, "reason": verdict.reason})
    total = [ok for oks in per_label.values() for ok in oks]
    return {
        "judge": judge.name,
        "cases": len(total),
        "accuracy": sum(total) / max(len(total), 1),
        "per_label": {k: sum(v) / len(v) for k, v in sorted(per_label.items())},
        "wrong": wrong,
    }
