"""Text in a document that speaks to the assistant instead of about the world ("Ignore previous
instructions ...", "SYSTEM NOTICE: ...") is data, never an instruction and never evidence: the
paragraph holding it is not quoted, cited or used as support.

The patterns are the generic shapes of prompt injection (addressing the model, its instructions or its
role), not words of any corpus. An article that *reports* on such text in quotes is rare in prose; a
false positive costs one paragraph of evidence, a false negative serves an attacker's claim as fact.
"""

from __future__ import annotations

import re

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
