"""Run the gold set through the public ``rag.Assistant`` API and score every answer."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import asdict, dataclass, field

from rag import Assistant
from rag.corpus import load_corpus
from rag.text import normalize

from .gold import GoldItem


@dataclass
class QuestionResult:
    id: str
    type: str
    question: str
    answer: str
    abstained: bool
    citations: list[dict]
    key_fact_recall: float | None  # None for unanswerable items
    facts_missing: list[str]
    citations_verbatim: int
    citations_total: int
    citations_in_gold_docs: int
    retrieved_docs: list[str]
    hit_at_1: bool | None
    hit_at_k: bool | None
    abstention_correct: bool
    seconds: float
    removed_by_guard: list[list[str]] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Answerable: every key fact stated and every citation verbatim; unanswerable: abstained."""
        if self.key_fact_recall is None:
            return self.abstained
        return (not self.abstained and self.key_fact_recall >= 0.999
                and self.citations_verbatim == self.citations_total)


def fact_found(variants: list[str], text: str) -> bool:
    haystack = normalize(text).lower()
    return any(normalize(v).lower() in haystack for v in variants)


def run_item(assistant: Assistant, item: GoldItem, doc_texts: dict[str, str]) -> QuestionResult:
    started = time.perf_counter()
    answer = assistant.ask(item.question, history=item.history or None)
    seconds = time.perf_counter() - started
    retrieved = [s["doc_id"] for s in answer.sources]  # documents in retrieval order, as the answer saw them
    # The answer text plus the dates of the cited articles (metadata is part of what is shown).
    shown = answer.text + " " + " ".join(c.date or "" for c in answer.citations)
    missing = [f[0] for f in item.key_facts if not fact_found(f, shown)]
    verbatim = sum(1 for c in answer.citations if normalize(c.quote) in doc_texts.get(c.doc_id, ""))
    return QuestionResult(
        id=item.id, type=item.type, question=item.question, answer=answer.text, abstained=answer.abstained,
        citations=[asdict(c) for c in answer.citations],
        key_fact_recall=(1 - len(missing) / len(item.key_facts)) if item.answerable else None,
        facts_missing=missing, citations_verbatim=verbatim, citations_total=len(answer.citations),
        citations_in_gold_docs=sum(1 for c in answer.citations if c.doc_id in item.doc_ids),
        retrieved_docs=retrieved,
        hit_at_1=(bool(retrieved) and retrieved[0] in item.doc_ids) if item.answerable else None,
        hit_at_k=any(d in item.doc_ids for d in retrieved) if item.answerable else None,
        abstention_correct=answer.abstained == (not item.answerable),
        seconds=seconds, removed_by_guard=[list(r) for r in answer.removed],
    )


def run(assistant: Assistant, items: list[GoldItem], progress: bool = False) -> list[QuestionResult]:
    doc_texts = {d.doc_id: normalize(d.text) for d in load_corpus(assistant.settings.corpus_dir).documents}
    assistant.engine()  # build the index before timing anything
    iterator = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="questions", unit="q")
    return [run_item(assistant, item, doc_texts) for item in iterator]


def summarize(results: list[QuestionResult]) -> dict[str, float]:
    answerable = [r for r in results if r.key_fact_recall is not None]
    unanswerable = [r for r in results if r.key_fact_recall is None]
    single_turn = [r for r in answerable if r.type != "follow_up"]
    times = sorted(r.seconds for r in results)
    cites = sum(r.citations_total for r in results)
    return {
        "questions": len(results),
        "answerable_correct": sum(r.correct for r in answerable) / max(len(answerable), 1),
        "key_fact_recall": statistics.mean(r.key_fact_recall for r in answerable) if answerable else 0.0,
        "citations_verbatim": sum(r.citations_verbatim for r in results) / max(cites, 1),
        "citations_in_gold_docs": sum(r.citations_in_gold_docs for r in answerable) / max(
            sum(r.citations_total for r in answerable), 1),
        "abstained_when_unanswerable": sum(r.abstained for r in unanswerable) / max(len(unanswerable), 1),
        "answered_when_answerable": sum(not r.abstained for r in answerable) / max(len(answerable), 1),
        "retrieval_hit_at_1": sum(bool(r.hit_at_1) for r in single_turn) / max(len(single_turn), 1),
        "retrieval_hit_at_k": sum(bool(r.hit_at_k) for r in single_turn) / max(len(single_turn), 1),
        "latency_p50_s": statistics.median(times) if times else 0.0,
        "latency_max_s": times[-1] if times else 0.0,
        "guard_removed_sentences": sum(
            1 for r in results for _, why in r.removed_by_guard if not why.startswith("truncated")),
    }


def format_table(results: list[QuestionResult], summary: dict[str, float]) -> str:
    lines = [f"{'id':<5} {'type':<14} {'ok':<3} {'facts':>5} {'cites':>5} {'abst':>4} {'sec':>5}  question"]
    for r in results:
        facts = "-" if r.key_fact_recall is None else f"{r.key_fact_recall:.2f}"
        lines.append(
            f"{r.id:<5} {r.type:<14} {'✓' if r.correct else '✗':<3} {facts:>5} "
            f"{r.citations_verbatim}/{r.citations_total:<3} {'yes' if r.abstained else 'no':>4} {r.seconds:5.1f}  "
            f"{r.question[:60]}"
        )
    lines.append("")
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        lines.append(f"{key:<{width}}  {value:.3f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    return "\n".join(lines)


def shorten(text: str, n: int = 200) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= n else text[: n - 1] + "…"
