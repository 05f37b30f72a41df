"""External eval sets: folders written by others that stand for corpora the product will meet.

A set is a folder holding ``corpus/`` (any documents the assistant reads) and ``gold.jsonl``, one
question per line: ``{"id", "q", "answerable", "must": [[regex, ...], ...], "docs": [doc_id, ...],
"reference"}``, optionally ``"history"`` (the chat before a follow-up, as ``[{"role", "content"}]``) and
``"kind"`` (tags such as ``followup``, ``yesno_yes``). Each ``must`` group is one key fact: any of its regular expressions, searched in the
normalised, lower-cased answer. ``python -m eval`` indexes every set into its own temporary index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from rag.paths import CHECKOUT

from .gold import GoldError, GoldItem

# Where the shared sets live next to a checkout (../shared/eval-sets); override with --sets.
DEFAULT_SETS_DIR = CHECKOUT.parent / "shared" / "eval-sets"


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus_dir: Path
    gold_file: Path


def discover_sets(root: Path = DEFAULT_SETS_DIR) -> list[EvalSet]:
    """Every sub-folder of ``root`` that holds ``corpus/`` and ``gold.jsonl``, by name."""
    if not root.is_dir():
        return []
    return [EvalSet(d.name, d / "corpus", d / "gold.jsonl") for d in sorted(root.iterdir())
            if (d / "corpus").is_dir() and (d / "gold.jsonl").is_file()]


def item_type(answerable: bool, kinds: list[str], history: list[dict]) -> str:
    """The report's row for a question: unanswerable, follow-up (asked with its dialog), yes/no, else
    single fact. A follow-up is one whatever else it is: it is asked with the turns before it."""
    if not answerable:
        return "unanswerable"
    if history or "followup" in kinds:
        return "follow_up"
    if any(k.startswith("yesno") for k in kinds):
        return "yes_no"
    return "single_fact"


def load_set_items(eval_set: EvalSet) -> list[GoldItem]:
    """The set's questions as gold items (key facts as regexes); raises GoldError on a malformed line."""
    items = []
    for n, line in enumerate(eval_set.gold_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            answerable = bool(raw["answerable"])
            must = [list(group) for group in raw.get("must") or []]
            for group in must:
                for pattern in group:
                    re.compile(pattern)
            history = [{"role": str(t["role"]), "content": str(t["content"])} for t in raw.get("history") or []]
            items.append(GoldItem(id=raw["id"], type=item_type(answerable, raw.get("kind") or [], history),
                                  question=raw["q"], answer=raw.get("reference", ""), key_facts=must,
                                  doc_ids=list(raw.get("docs") or []), quotes=[], history=history,
                                  patterns=True))
        except (json.JSONDecodeError, KeyError, TypeError, re.error) as exc:
            raise GoldError(f"{eval_set.gold_file} line {n}: {exc}") from None
    return items
