"""The gold set (``eval/gold.jsonl``): loading and validation against the corpus."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.index.corpus import load_corpus
from rag.text import normalize

GOLD_FILE = Path(__file__).resolve().parent / "gold.jsonl"
TYPES = ("single_fact", "synthesis", "follow_up", "metadata", "tag_page", "conflict", "false_premise", "unanswerable")
# An external set's rows: its questions are single facts, follow-ups, yes/no or unanswerable (eval.sets.item_type).
SET_TYPES = TYPES + ("yes_no",)


@dataclass
class GoldItem:
    id: str
    type: str
    question: str
    answer: str
    key_facts: list[list[str]]  # each fact: acceptable variants
    doc_ids: list[str]
    quotes: list[str]
    history: list[dict] = field(default_factory=list)
    # External sets give each key fact as regular expressions ("must" groups), matched on normalised,
    # lower-cased text; the bundled set gives literal variants.
    patterns: bool = False

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


class GoldError(ValueError):
    pass


def load_gold(path: Path = GOLD_FILE, corpus_dir: Path | None = None) -> list[GoldItem]:
    """Read and validate the gold set: unique ids, known types, quotes that occur in their documents."""
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise GoldError(f"{path.name} line {n}: {exc}") from None
    problems = validate(items, corpus_dir)
    if problems:
        raise GoldError("; ".join(problems))
    return items


def validate(items: list[GoldItem], corpus_dir: Path | None = None) -> list[str]:
    from rag.settings import Settings

    docs = {d.doc_id: normalize(d.text) for d in load_corpus(corpus_dir or Settings().corpus_dir).documents}
    problems, seen = [], set()
    for item in items:
        if item.id in seen:
            problems.append(f"duplicate id {item.id}")
        seen.add(item.id)
        if item.type not in TYPES:
            problems.append(f"{item.id}: unknown type {item.type!r}")
        if item.answerable and not (item.key_facts and item.doc_ids):
            problems.append(f"{item.id}: an answerable item needs key_facts and doc_ids")
        for doc_id in item.doc_ids:
            if doc_id not in docs:
                problems.append(f"{item.id}: unknown document {doc_id}")
        for quote in item.quotes:
            if not any(normalize(quote) in docs.get(d, "") for d in item.doc_ids):
                problems.append(f"{item.id}: quote not found in its documents: {quote[:60]!r}")
    return problems
