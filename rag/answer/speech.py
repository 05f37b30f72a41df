"""Reported speech: who speaks in a sentence ("X said", "said X", "..., he said"), and the roles a
question may name instead of a person ("How did officials respond?")."""

from __future__ import annotations

import re

from ..text import content_stems, stem, words

ASKS_SPEECH = re.compile(r"\b(say|said|says|tell|told|call|called|claim\w*|describ\w*|think|believ\w*|respond\w*|"
                         r"react\w*|remark\w*|comment\w*|warn\w*|stress\w*|mean|argu\w*|add|added)\b", re.I)
REPORTING = re.compile(r"\b(said|says|say|told|tells|added|stressed|noted|warned|claimed|argued|explained|"
                       r"according to|remarks?|statement)\b", re.I)
PRONOUN_REPORTING = re.compile(r"\b(he|she|they)\s+(said|says|told|added|stressed|noted|warned|explained)\b", re.I)
# Generic English role nouns: "How did officials respond?" is answered by whoever holds the role.
_OFFICIALS = "official spokesman spokeswoman spokesperson ministry minister ambassador"
_RESEARCHERS = "researcher scientist academy professor"
ROLES = {stem(role): {stem(w) for w in holders.split()} for role, holders in {
    "official": _OFFICIALS, "researcher": _RESEARCHERS, "scientist": _RESEARCHERS,
    "expert": "expert professor researcher analyst",
}.items()}

def speaks(names: set[str], sentence: str, window: str) -> bool:
    """Whether one of ``names`` is the speaker of ``sentence`` ("X said", "said X", "..., he said")."""
    tokens = words(sentence)
    for i, token in enumerate(tokens):
        if stem(token) in names and REPORTING.search(" ".join(tokens[max(i - 8, 0): i + 9])):
            return True
    return bool(PRONOUN_REPORTING.search(sentence)) and bool(names & set(content_stems(window)))


def continues_speech(names: set[str], sentence: str, window: str) -> bool:
    """A sentence with no speaker of its own, right after one of ``names`` spoke (reported speech goes on)."""
    if REPORTING.search(sentence) or PRONOUN_REPORTING.search(sentence):
        return False
    before = window[: window.find(sentence)] if sentence in window else ""
    return bool(before) and speaks(names, before, before)
