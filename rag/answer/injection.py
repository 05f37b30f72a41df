"""Text in a document that speaks to the assistant instead of about the world ("Ignore previous
instructions ...", "Note to the AI summarising this page: ...") is data, never an instruction and never
evidence: the paragraph holding it is not quoted, cited or used as support.

The judge decides (``prompts/judge_injection.txt``, read by a probe over its hidden state: ``rag.models.probe``;
precision / recall 0.91 / 0.93 cross-validated on ``bench/injection_set.jsonl``): every piece of every chunk is
read once and the verdicts kept with the chunk (``rag.index.screening``), so an answer costs no read of its own.
A flagged piece's units are not quoted; the chunk's other paragraphs are not lost (``injected_spans``).

Until the judge has read a chunk, the phrase patterns below screen it: the generic shapes of prompt injection
(addressing the model, its instructions or its role), not words of any corpus. They catch few shapes
(0.50 / 0.09 on the set) and flag articles that quote them. ``RAG_INJECTION_SCREEN`` chooses: ``background``
(the default: the server reads chunks while no question is asked; ``Assistant.screen()`` at once),
``judge`` (also reads, at answer time, each quoted piece of a chunk not yet read: ``InjectionScreen``; about
doubles the answer time on a fresh index) or ``patterns`` (the phrase list only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..index.screening import screen_pieces

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
# P(an order to an AI) (judge.instructions: the probe's, or the calibrated P(yes)) at which a piece is flagged:
# even odds, not tuned; bench.injection reports precision and recall at this bar (AT there).
INSTRUCTION_AT = 0.5


def injected_spans(chunk: Chunk, reading: str | None, patterns: bool = True) -> list[tuple[int, int]]:
    """The spans of ``chunk`` kept out of answers as orders to an AI: the pieces the judge flagged, where it
    has read the chunk under ``reading`` (``rag.index.screening``); else, with ``patterns``, the lines the
    phrase patterns flag."""
    if reading is not None and chunk.screen is not None and chunk.screen.reading == reading:
        return [(s, e) for s, e, _ in chunk.screen.flagged(INSTRUCTION_AT)]
    return instruction_spans(chunk.text) if patterns else []


def kept_out(passages: list[Chunk], reading: str | None) -> list[tuple[str, str]]:
    """What the stored verdicts keep out of the passages (``injected_spans``), and why."""
    return [(f"passage {i}", f"kept out: gives orders to an AI reading it (judge {p:.2f}, read before)")
            for i, chunk in enumerate(passages, 1) if reading and chunk.screen and chunk.screen.reading == reading
            for _, _, p in chunk.screen.flagged(INSTRUCTION_AT)]


@dataclass(frozen=True)
class Flagged:
    """A piece the screen kept out of the answer: where it is and the judge's P(an order to an AI)."""

    passage: int  # 1-based, as ``Evidence.passage``
    start: int
    end: int
    p: float

    def holds(self, unit: Evidence) -> bool:
        return unit.passage == self.passage and unit.start < self.end and self.start < unit.end


class InjectionScreen:
    """The judge reads, at answer time, the pieces (``screen_pieces``) of each unit about to be quoted whose
    chunk it has not read before (RAG_INJECTION_SCREEN=judge): is it an order to an AI?"""

    def __init__(self, judge: Judge, threshold: float = INSTRUCTION_AT):
        self.judge, self.threshold = judge, threshold
        self.reading = judge.instruction_reading()

    def flagged(self, units: list[Evidence], passages: list[Chunk]) -> list[Flagged]:
        """The pieces of ``units`` that the judge takes for orders to an AI (memoised by the judge); a chunk
        with stored verdicts was screened when its units were made (``injected_spans``)."""
        spans = list(dict.fromkeys(
            (u.passage, s, e) for u in units
            if not ((chunk := passages[u.passage - 1]).screen and chunk.screen.reading == self.reading)
            for s, e in screen_pieces(chunk.text) if s < u.end and u.start < e))
        if not spans:
            return []
        texts = [passages[p - 1].text[s:e] for p, s, e in spans]
        return [Flagged(p, s, e, score) for (p, s, e), score in zip(spans, self.judge.instructions(texts))
                if score >= self.threshold]


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
