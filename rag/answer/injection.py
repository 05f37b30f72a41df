"""Text in a document that speaks to the assistant instead of about the world ("Ignore previous
instructions ...", "Note to the AI summarising this page: ...") is data, never an instruction and never
evidence: the paragraph holding it is not quoted, cited or used as support.

By default the phrase patterns below screen the units (``rag.answer.units``): the generic shapes of prompt
injection (addressing the model, its instructions or its role), not words of any corpus. They catch few
shapes (precision / recall 0.50 / 0.09 on ``bench/injection_set.jsonl``) and flag articles that quote them.

With ``RAG_INJECTION_SCREEN=judge`` every paragraph about to be quoted is read by the judge under a prompt of its
own (``prompts/judge_injection.txt``) and a probe over its hidden state decides (``InjectionScreen``,
``rag.models.probe``; 0.91 / 0.91 cross-validated on the set): a flagged paragraph is kept out, the next best
units answer instead, the chunk's other paragraphs are not lost. Not the default: reading every quoted paragraph
costs the judge about as much again as answering, and it flags 3 of 408 ordinary paragraphs of the eval pool's
corpora held out (``python -m bench.injection --pool --windows``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..text import paragraph_spans, sentence_spans

if TYPE_CHECKING:
    from ..index.store import Chunk
    from ..models.judge import Judge
    from .units import Evidence

_INJECTION = re.compile("|".join([
    # "ignore / disregard all previous instructions", "forget your rules"
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|"
    r"your|these|the)\b[^.\n]{0,25}?\b(?:instructions?|prompts?|rules|directions|guidelines)\b",
    # "SYSTEM NOTICE:", "system prompt", "developer message", "admin override"
    r"\b(?:system|admin|administrator|developer)[ \t]+(?:notice|prompt|message|instructions?|override|note)\b",
    # "You are an AI assistant", "act as a chatbot"
    r"\b(?:you are|you're|act as|pretend to be)[ \t]+(?:an?[ \t]+|the[ \t]+)?(?:ai|assistant|language model|"
    r"chatbot|llm)\b",
    # "the assistant must answer ...", "AI models should respond ..."
    r"\b(?:assistants?|chatbots?|language models?|llms?|ai models?|ai systems?)\b[^.\n]{0,30}?\b(?:must|should|"
    r"shall|are required to)\b[^.\n]{0,20}?\b(?:answer|respond|reply|say|state|tell|output|claim)\b",
    # a chat-transcript role line: "System: ...", "ASSISTANT: ..." (capitalised: a wrapped line may start "system:")
    r"(?-i:^[ \t]*(?:System|SYSTEM|Assistant|ASSISTANT)[ \t]*:)",
]), re.IGNORECASE | re.MULTILINE)


def is_instruction(text: str) -> bool:
    """Does ``text`` address the model (an injected instruction) rather than state something?"""
    return bool(_INJECTION.search(text))


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph (text between blank lines or line breaks) holding an injected
    instruction: the claim it carries ("... the freeze was a hoax") shares its paragraph."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        if is_instruction(match.group()):
            spans.append(match.span())
    return spans


SCREEN_ROUNDS = 3  # choices made again past flagged paragraphs before abstaining: bounds the judge's reads
SCREEN_CHARS = 700  # a longer paragraph is judged on the quote and a sentence either side (bounds the judge's read)
# P(an order to an AI) (judge.instructions: the probe's, or the calibrated P(yes)) at which a paragraph is flagged:
# even odds, not tuned; bench.injection reports precision and recall at this bar (AT there).
INSTRUCTION_AT = 0.5


@dataclass(frozen=True)
class Flagged:
    """A paragraph the screen kept out of the answer: where it is and the judge's P(an order to an AI)."""

    passage: int  # 1-based, as ``Evidence.passage``
    start: int
    end: int
    p: float

    def holds(self, unit: Evidence) -> bool:
        return unit.passage == self.passage and unit.start < self.end and self.start < unit.end


class InjectionScreen:
    """The judge reads the paragraph of each unit about to be quoted: is it an order to an AI?"""

    def __init__(self, judge: Judge, threshold: float = INSTRUCTION_AT):
        self.judge, self.threshold = judge, threshold

    def flagged(self, units: list[Evidence], passages: list[Chunk]) -> list[Flagged]:
        """The screened spans of ``units`` that the judge takes for orders to an AI (memoised by the judge)."""
        spans = list(dict.fromkeys(screened_span(passages[u.passage - 1].text, u.passage, u.start, u.end)
                                   for u in units))
        if not spans:
            return []
        texts = [passages[p - 1].text[s:e] for p, s, e in spans]
        return [Flagged(p, s, e, score) for (p, s, e), score in zip(spans, self.judge.instructions(texts))
                if score >= self.threshold]


def screened_span(text: str, passage: int, start: int, end: int) -> tuple[int, int, int]:
    """(passage, start, end) of what the screen reads for the quote ``text[start:end]``: its paragraph(s), or,
    past ``SCREEN_CHARS``, the quote with the sentence before and after it."""
    paragraphs = [(s, e) for s, e in paragraph_spans(text) if s < end and start < e]
    if paragraphs:
        s, e = paragraphs[0][0], paragraphs[-1][1]
        if e - s <= SCREEN_CHARS:
            return passage, s, e
    sentences = sentence_spans(text)
    before = [s for s, e in sentences if e <= start]
    after = [e for s, e in sentences if s >= end]
    return passage, (before[-1] if before else start), (after[0] if after else end)


def screened(choose: Callable[[list[Evidence]], list[Evidence]], units: list[Evidence], passages: list[Chunk],
             screen: InjectionScreen | None) -> tuple[list[Evidence], list[tuple[str, str]]]:
    """``choose(units)`` with every chosen paragraph screened: a flagged one is kept out and the choice made again
    without its units, up to ``SCREEN_ROUNDS`` times (then nothing: an abstention). Returns the choice and what
    was kept out, and why."""
    removed: list[tuple[str, str]] = []
    for _ in range(SCREEN_ROUNDS):
        chosen = choose(units)
        if screen is None or not chosen or not (flagged := screen.flagged(chosen, passages)):
            return chosen, removed
        units = [u for u in units if not any(f.holds(u) for f in flagged)]
        removed += [(f"passage {f.passage}", f"kept out: gives orders to an AI reading it (judge {f.p:.2f})")
                    for f in flagged]
    return [], removed
