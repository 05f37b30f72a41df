"""The citation guard: no sentence reaches the user unless a passage it cites supports it.

Every answer, from the bundled model or a remote one, goes through ``check_answer``:

* a sentence without a citation marker is dropped;
* a marker that points to no passage is removed;
* a sentence whose cited passage does not support it is re-cited to a passage that does, or dropped;
* each surviving citation carries the verbatim span of the passage (one or two sentences) that
  supports the sentence.

Support is judged in two layers:

* hard checks, always: every number and proper name in the claim must occur in the evidence span,
  and a negated word must be negated on both sides (an invented fact, a wrong number, a wrong name
  or a flipped "not" fails, which is what a small model gets wrong);
* then either the claim's content words (stemmed, weighted by rarity) are found in the span, or,
  when an ``entails`` judge is given (``rag.models.judge``), the judge says the span entails the claim. So
  a model may word a sentence in its own words and still have it shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..index.store import Chunk
from ..text import NEGATIONS, STOPWORDS, content_stems, normalize, numbers, sentence_spans, stem, words

SUPPORT_THRESHOLD = 0.75
_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_ANSWER_PARTICLE = re.compile(r"^\s*(yes|no)\b[\s,.;:—–-]*", re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    passage: int  # 1-based number of the passage in the prompt
    quote: str  # verbatim span of the passage's chunk
    start: int  # span in the document text
    end: int
    score: float


@dataclass
class CheckedSentence:
    text: str  # the sentence without markers
    supports: list[Support]
    repaired: bool = False  # re-cited to another passage than the one the draft named


@dataclass
class GuardReport:
    kept: list[CheckedSentence] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why)
    dangling_markers: int = 0
    recited: int = 0


def split_cited_sentences(draft: str) -> list[tuple[str, list[int]]]:
    """Split a draft into (sentence without markers, cited passage numbers)."""
    # Markers sit before or after the full stop; move them before it so sentences split cleanly.
    draft = re.sub(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)", r"\2\1", draft.strip())
    out = []
    for s, e in sentence_spans(draft):
        sentence = draft[s:e]
        markers = [int(n) for group in _MARKER.findall(sentence) for n in group.split(",")]
        text = _MARKER.sub("", sentence).strip()
        text = re.sub(r"\s+([.!?,;:])", r"\1", text)
        if len(words(text)) >= 1:
            out.append((text, list(dict.fromkeys(markers))))
    return out


def negated_stems(text: str) -> set[str]:
    """Stems of the content words governed by a negation ("did not deny the charge" -> deny)."""
    tokens = words(text)
    out: set[str] = set()
    for i, w in enumerate(tokens):
        if w in NEGATIONS:
            for nxt in tokens[i + 1 : i + 4]:
                if nxt in NEGATIONS:
                    continue
                if len(nxt) > 2 and nxt not in STOPWORDS:
                    out.add(stem(nxt))
                    break
    return out


# Verbs that negate what follows them ("declined to impose sanctions").
_REFUSALS = frozenset("declined declines decline refused refuses refuse failed fails denied denies".split())


def negation_scope(text: str, width: int = 6) -> set[str]:
    """Stems of every content word within ``width`` words after a negation, up to the clause end.

    "had not received an order to stop working" -> receiv, order, stop, work: wider than
    ``negated_stems``, for deciding whether evidence says yes or no to a question.
    """
    out: set[str] = set()
    for sentence in re.split(r"[.!?;]", normalize(text)):
        tokens = words(sentence)
        for i, w in enumerate(tokens):
            if w in _REFUSALS:  # "declined to condemn the invasion ... or impose sanctions": to the end
                out |= {stem(t) for t in tokens[i + 1 :] if t not in STOPWORDS and t not in NEGATIONS}
        for clause in re.split(r"[,:]", sentence):
            tokens = words(clause)
            for i, w in enumerate(tokens):
                if w in NEGATIONS:
                    out |= {stem(t) for t in tokens[i + 1 : i + 1 + width] if t not in STOPWORDS and t not in NEGATIONS}
    return out


def proper_names(text: str) -> set[str]:
    """Stems of capitalised words that are not the first word of the sentence (names, places)."""
    tokens = re.findall(r"[A-Za-z][A-Za-z'’\-]+", normalize(text))
    return {stem(t) for t in tokens[1:] if t[0].isupper() and t.lower() not in ("i",)}


def support_score(claim: str, evidence: str, weight: Callable[[str], float] | None = None,
                  given: set[str] = frozenset()) -> float:
    """How well ``evidence`` supports ``claim``, from 0 to 1 (see the module docstring).

    ``given`` stems (e.g. the question's own words in a yes/no lead) are not required to occur.
    """
    weight = weight or (lambda s: 1.0)
    claim_stems = [s for s in dict.fromkeys(content_stems(claim)) if s not in given]
    evidence_stems = set(content_stems(evidence))
    if not passes_hard_checks(claim, evidence, given):
        return 0.0
    claim_all = set(content_stems(claim))
    neg_claim = negated_stems(claim)
    if not claim_stems:
        return 1.0 if (neg_claim or claim_all) and claim_all <= evidence_stems | given else 0.0
    total = sum(weight(s) for s in claim_stems)
    found = sum(weight(s) for s in claim_stems if s in evidence_stems)
    return found / total if total else 0.0


def passes_hard_checks(claim: str, evidence: str, given: set[str] = frozenset()) -> bool:
    """Numbers, proper names and negations of ``claim`` all agree with ``evidence``."""
    evidence_stems = set(content_stems(evidence))
    if not numbers(claim) <= numbers(evidence):
        return False
    if not (proper_names(claim) - given) <= evidence_stems | _name_parts(evidence):
        return False
    neg_claim, neg_evidence = negated_stems(claim), negated_stems(evidence)
    claim_all = set(content_stems(claim))
    if (neg_evidence & claim_all) - neg_claim or (neg_claim & evidence_stems) - neg_evidence:
        return False
    return not (neg_claim - evidence_stems - given)  # a negated word the evidence never mentions


def _name_parts(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


def best_support(claim: str, passage_no: int, chunk: Chunk, weight=None, given=frozenset()) -> Support | None:
    """The one- or two-sentence span of the chunk that best supports the claim."""
    spans = sentence_spans(chunk.text)
    candidates = [(s, e) for s, e in spans] + [(spans[i][0], spans[i + 1][1]) for i in range(len(spans) - 1)]
    best: Support | None = None
    for s, e in candidates:
        quote = chunk.text[s:e]
        score = support_score(claim, quote, weight, given)
        # Prefer the shorter span when two score alike.
        if best is None or score > best.score + 1e-9 or (
            abs(score - best.score) < 1e-9 and len(quote) < len(best.quote)
        ):
            best = Support(passage_no, quote, chunk.start + s, chunk.start + e, score)
    return best


Entails = Callable[[str, list[str]], list[float]]  # (premise, claims) -> P(entailed) each


def check_answer(draft: str, passages: list[Chunk], weight=None, threshold: float = SUPPORT_THRESHOLD,
                 given: set[str] = frozenset(), entails: Entails | None = None,
                 entail_threshold: float = 0.5) -> GuardReport:
    """Verify every sentence of ``draft`` against the passages it cites (numbered from 1).

    ``entails``: a judge that may accept a paraphrase the word check rejects (hard checks still apply).
    """
    report = GuardReport()
    for text, markers in split_cited_sentences(draft):
        claim = _ANSWER_PARTICLE.sub("", text) or text
        valid = [m for m in markers if 1 <= m <= len(passages)]
        report.dangling_markers += len(markers) - len(valid)
        if not markers:
            report.removed.append((text, "no citation"))
            continue
        supports = [best_support(claim, m, passages[m - 1], weight, given) for m in valid]
        supports = [s for s in supports if s is not None and s.score >= threshold]
        repaired = False
        if not supports:
            others = [best_support(claim, i + 1, c, weight, given) for i, c in enumerate(passages)]
            others = sorted((s for s in others if s and s.score >= threshold), key=lambda s: -s.score)
            if others:
                supports, repaired = others[:1], True
                report.recited += 1
        if not supports and entails is not None:
            supports = entailed_supports(claim, valid, passages, weight, given, entails, entail_threshold)
        if not supports:
            why = "cites no existing passage" if not valid else "not supported by the cited passage"
            report.removed.append((text, why))
            continue
        report.kept.append(CheckedSentence(text, supports, repaired))
    return report


def entailed_supports(claim: str, markers: list[int], passages: list[Chunk], weight, given: set[str],
                      entails: Entails, threshold: float) -> list[Support]:
    """The cited passages' closest spans that pass the hard checks and that the judge says entail ``claim``."""
    out = []
    for m in markers:
        span = best_support(claim, m, passages[m - 1], weight, given)
        if span is None or not passes_hard_checks(claim, span.quote, given):
            continue
        p = entails(span.quote, [claim])[0]
        if p >= threshold:
            out.append(Support(span.passage, span.quote, span.start, span.end, p))
    return out
