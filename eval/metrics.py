"""Scoring one answer against its gold item, and the run's summary. Every metric is defined in the README.

``score_answer`` takes a public ``rag.Answer`` (from the assistant, the baseline, or a test that plants
an unfaithful one) and returns a ``QuestionResult`` with a verdict for every statement, claim and
citation, so the report can list each failure.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field

from rag import Answer
from rag.text import normalize

from .claims import split_statements
from .gold import GoldItem

CITATION_CLASSES = ("supported", "fabricated", "stitched", "misattributed", "unsupporting")
MIN_FRAGMENT_WORDS = 3  # a stitched quote is made of verbatim fragments at least this long


class CorpusText:
    """The corpus documents, normalised, for locating quotes."""

    def __init__(self, documents: dict[str, str]):
        self.docs = {doc_id: normalize(text) for doc_id, text in documents.items()}
        self.lower = {doc_id: text.lower() for doc_id, text in self.docs.items()}

    def containing(self, quote: str) -> list[str]:
        q = normalize(quote).strip().lower()
        return [d for d, text in self.lower.items() if q and q in text]

    def fragments(self, quote: str) -> list[str]:
        """The quote cut greedily into the longest word runs that occur verbatim in some document."""
        tokens = normalize(quote).lower().split()
        out, i = [], 0
        while i < len(tokens):
            j = i + 1
            while j <= len(tokens) and any(" ".join(tokens[i:j]) in t for t in self.lower.values()):
                j += 1
            if j == i + 1:  # not even one word occurs: an invented word
                out.append("")
                i += 1
            else:
                out.append(" ".join(tokens[i : j - 1]))
                i = j - 1
        return out

    def classify_quote(self, quote: str, cited_doc: str) -> tuple[str, list[str]]:
        """Where the quote really comes from: ("verbatim" | "misattributed" | "stitched" | "fabricated", docs)."""
        docs = self.containing(quote)
        if cited_doc in docs:
            return "verbatim", docs
        if docs:
            return "misattributed", docs
        parts = self.fragments(quote)
        if len(parts) >= 2 and all(len(p.split()) >= MIN_FRAGMENT_WORDS for p in parts):
            return "stitched", []
        return "fabricated", []


@dataclass
class QuestionResult:
    id: str
    type: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    citations: list[dict]
    key_fact_recall: float | None  # None for unanswerable items
    facts_missing: list[str]
    statements: list[dict] = field(default_factory=list)  # text, markers, supported (ALCE recall)
    claims: list[dict] = field(default_factory=list)  # text, by_cited, by_retrieved
    citation_checks: list[dict] = field(default_factory=list)  # marker, doc_id, quote, sentence, class, precise
    dangling_markers: list[int] = field(default_factory=list)
    retrieved_docs: list[str] = field(default_factory=list)
    recall_at_k: float | None = None
    reciprocal_rank: float | None = None
    seconds: float = 0.0
    removed_by_guard: list[list[str]] = field(default_factory=list)
    lost_at: str | None = None  # where a failed answerable question was lost (LOSS_STAGES)

    @property
    def abstention_correct(self) -> bool:
        return self.abstained == (not self.answerable)

    @property
    def correct(self) -> bool:
        """Answerable: every key fact, every claim faithful to its citations, every citation supported.
        Unanswerable: abstained."""
        if not self.answerable:
            return self.abstained
        return (not self.abstained and (self.key_fact_recall or 0) >= 0.999 and not self.dangling_markers
                and all(c["class"] == "supported" for c in self.citation_checks)
                and all(s["supported"] for s in self.statements))

    def to_dict(self) -> dict:
        return {**asdict(self), "correct": self.correct, "abstention_correct": self.abstention_correct}


def fact_found(variants: list[str], text: str, patterns: bool = False) -> bool:
    """Whether any variant occurs in ``text`` (normalised, lower-cased); ``patterns``: variants are regexes."""
    haystack = normalize(text).lower()
    if patterns:
        return any(re.search(v, haystack) for v in variants)
    return any(normalize(v).lower() in haystack for v in variants)


# Where a failed answerable question was lost, read from the public answer: whether the retrieved passages
# held its key facts at all, what the selector removed, what the answer quoted.
LOSS_STAGES = {
    "not retrieved": "no retrieved passage states every key fact",
    "rejected by the selection": "a passage states them, and the selection (the judge's verdicts read with the rank "
                                 "features, or the judge's bars) removed the best-ranked units",
    "abstained before the judge": "a passage states them, and no unit was plausible enough to judge",
    "answered with the wrong units": "answered, without every key fact, though a passage states them",
    "answered, facts not retrieved": "answered, without every key fact; no passage states them all",
    "a citation failed": "every key fact stated, a statement or citation not supported",
}


def loss_stage(item: GoldItem, answer: Answer, missing: list[str], correct: bool) -> str | None:
    """Which of ``LOSS_STAGES`` a failed answerable question was lost at (None: not failed, or unanswerable)."""
    if not item.answerable or correct:
        return None
    retrieved = " ".join(p["text"] for p in answer.passages)
    in_passages = all(fact_found(f, retrieved, item.patterns) for f in item.key_facts)
    if answer.abstained:
        if not in_passages:
            return "not retrieved"
        if any(why.startswith(("judge:", "selection:")) for _, why in answer.removed):
            return "rejected by the selection"
        return "abstained before the judge"
    if missing:
        return "answered with the wrong units" if in_passages else "answered, facts not retrieved"
    return "a citation failed"


def score_answer(item: GoldItem, answer: Answer, corpus: CorpusText, judge, seconds: float = 0.0) -> QuestionResult:
    """Every verdict for one answer (see the README's metric definitions)."""
    retrieved = list(dict.fromkeys(s["doc_id"] for s in answer.sources))
    shown = answer.text + " " + " ".join(c.date or "" for c in answer.citations)  # dates are shown with sources
    missing = [f[0] for f in item.key_facts if not fact_found(f, shown, item.patterns)] if item.answerable else []
    result = QuestionResult(
        id=item.id, type=item.type, question=item.question, answer=answer.text, abstained=answer.abstained,
        answerable=item.answerable, citations=[asdict(c) for c in answer.citations],
        key_fact_recall=(1 - len(missing) / len(item.key_facts)) if item.answerable else None,
        facts_missing=missing, retrieved_docs=retrieved, seconds=seconds or answer.seconds,
        removed_by_guard=[list(r) for r in answer.removed],
    )
    if item.answerable and item.doc_ids:
        ranks = [retrieved.index(d) + 1 for d in item.doc_ids if d in retrieved]
        result.recall_at_k = len(ranks) / len(item.doc_ids)
        result.reciprocal_rank = 1 / min(ranks) if ranks else 0.0
    if answer.abstained:
        result.lost_at = loss_stage(item, answer, missing, result.correct)
        return result

    by_marker = {c.marker: c for c in answer.citations}

    def evidence(c) -> str:  # the quote, with the title and date the reader sees beside it
        return f"{c.quote} (“{c.title}”{', dated ' + c.date if c.date else ''})"

    passages = [p["text"] for p in answer.passages]
    for statement in split_statements(answer.text):
        cited = [by_marker[m] for m in statement.markers if m in by_marker]
        result.dangling_markers += [m for m in statement.markers if m not in by_marker]
        joint = " ".join(evidence(c) for c in cited)
        supported = bool(cited) and judge.judge(statement.text, joint).supported
        result.statements.append({"text": statement.text, "markers": statement.markers, "supported": supported})
        for claim in statement.claims:
            by_cited = bool(cited) and judge.judge(claim, joint).supported
            by_retrieved = by_cited or any(judge.judge(claim, p).supported for p in passages)
            result.claims.append({"text": claim, "by_cited": by_cited, "by_retrieved": by_retrieved})
        for c in cited:
            alone = judge.judge(statement.text, evidence(c)).supported
            # ALCE precision: a citation is irrelevant when it does not support the sentence alone and
            # the other citations still do; none is precise when the sentence is not supported at all.
            others = " ".join(evidence(o) for o in cited if o is not c)
            irrelevant = not alone and bool(others) and judge.judge(statement.text, others).supported
            where, docs = corpus.classify_quote(c.quote, c.doc_id)
            kind = where if where != "verbatim" else ("supported" if alone or supported else "unsupporting")
            result.citation_checks.append({
                "marker": c.marker, "doc_id": c.doc_id, "quote": c.quote, "sentence": statement.text,
                "class": kind, "found_in": docs, "precise": supported and not irrelevant,
                "in_gold_doc": c.doc_id in item.doc_ids,
            })
    result.lost_at = loss_stage(item, answer, missing, result.correct)
    return result


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def summarize(results: list[QuestionResult]) -> dict[str, float | int | None]:
    """Run-level figures: micro-averages over claims, statements and citations; means over questions."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in results if not r.abstained]
    claims = [c for r in answered for c in r.claims]
    statements = [s for r in answered for s in r.statements]
    checks = [c for r in answered for c in r.citation_checks]
    times = sorted(r.seconds for r in results)
    ranked = [r for r in answerable if r.recall_at_k is not None]
    summary: dict[str, float | int | None] = {
        "questions": len(results),
        "answerable_correct": _share(sum(r.correct for r in answerable), len(answerable)),
        "key_fact_recall": statistics.mean(r.key_fact_recall for r in answerable) if answerable else None,
        "faithfulness_cited": _share(sum(c["by_cited"] for c in claims), len(claims)),
        "faithfulness_retrieved": _share(sum(c["by_retrieved"] for c in claims), len(claims)),
        "citation_recall": _share(sum(s["supported"] for s in statements), len(statements)),
        "citation_precision": _share(sum(c["precise"] for c in checks), len(checks)),
        "citations": len(checks),
        "citations_in_gold_docs": _share(sum(c["in_gold_doc"] for r in answered if r.answerable
                                             for c in r.citation_checks),
                                         sum(len(r.citation_checks) for r in answered if r.answerable)),
        "dangling_markers": sum(len(r.dangling_markers) for r in results),
        "retrieval_recall_at_k": statistics.mean(r.recall_at_k for r in ranked) if ranked else None,
        "retrieval_mrr": statistics.mean(r.reciprocal_rank for r in ranked) if ranked else None,
        "abstained_when_unanswerable": _share(sum(r.abstained for r in unanswerable), len(unanswerable)),
        "answered_when_answerable": _share(sum(not r.abstained for r in answerable), len(answerable)),
        "latency_p50_s": times[len(times) // 2] if times else None,
        "latency_p95_s": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if times else None,
    }
    for kind in CITATION_CLASSES:
        summary[f"citations_{kind}"] = sum(c["class"] == kind for c in checks)
    for stage in LOSS_STAGES:
        summary[f"lost: {stage}"] = sum(r.lost_at == stage for r in answerable)
    return summary


def by_type(results: list[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """The headline metrics per question type."""
    out = {}
    for kind in dict.fromkeys(r.type for r in results):
        group = [r for r in results if r.type == kind]
        s = summarize(group)
        out[kind] = {"questions": len(group), "correct": _share(sum(r.correct for r in group), len(group)),
                     **{k: s[k] for k in ("key_fact_recall", "faithfulness_cited", "citation_recall",
                                          "citation_precision", "retrieval_mrr")}}
    return out


def failures(results: list[QuestionResult]) -> list[dict]:
    """Every failure instance, for the report: citation classes, dangling markers, abstention, facts."""
    out = []
    for r in results:
        for c in r.citation_checks:
            if c["class"] != "supported":
                out.append({"id": r.id, "kind": f"citation: {c['class']}", "detail":
                            f"[{c['marker']}] {c['doc_id']}: “{_short(c['quote'])}” for “{_short(c['sentence'])}”"})
        for m in r.dangling_markers:
            out.append({"id": r.id, "kind": "dangling marker", "detail": f"[{m}] points to no citation"})
        for s in r.statements:
            if not s["supported"]:
                out.append({"id": r.id, "kind": "statement not supported by its citations",
                            "detail": _short(s["text"], 160)})
        if not r.abstention_correct:
            out.append({"id": r.id, "kind": "answered an unanswerable question" if not r.answerable
                        else "abstained on an answerable question", "detail": _short(r.question, 160)})
        if r.facts_missing and not r.abstained:
            out.append({"id": r.id, "kind": "key fact missing", "detail": ", ".join(r.facts_missing)})
    return out


def _short(text: str, n: int = 90) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= n else text[: n - 1] + "…"
