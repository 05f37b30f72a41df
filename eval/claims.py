"""Splitting an answer into statements (sentences with their markers) and atomic claims.

ALCE (Gao et al. 2023) scores citations per *statement*: a sentence and the markers it carries.
Faithfulness (the RAGAS idea) scores *atomic claims*: a sentence cut at the joints where it makes a
second assertion ("...; ...", "..., and ...", "..., but ...", "..., saying ..."), each part long enough
to assert something on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.render import ATTRIBUTION
from rag.text import sentence_spans, words

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_JOINTS = re.compile(r";\s+|,\s+(?:and|but|while|whereas|saying|although)\s+|\s+but\s+")
MIN_CLAIM_WORDS = 4
_ANSWER_PARTICLE = re.compile(r"^(yes|no)\s*[—–:,-]+\s*", re.IGNORECASE)


@dataclass
class Statement:
    text: str  # the sentence without its markers
    markers: list[int]  # markers in the order they appear, without repeats

    @property
    def claims(self) -> list[str]:
        return atomic_claims(self.text)


def split_statements(answer_text: str) -> list[Statement]:
    """The answer's sentences with the markers each carries (a marker before or after the full stop); a
    sentence without a marker belongs to the next statement that has one."""
    # Move markers that follow a full stop in front of it, so the sentence splitter keeps them.
    # "According to <source>: <quote>": the lead-in names the source (the marker checks it); the claim is
    # the quote. Taken out first: a source named "II. Methods" would cut the sentence in two.
    text = ATTRIBUTION.sub("", answer_text.strip())
    text = re.sub(r"([.!?][\"”’']?)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)", r"\2\1", text)
    out = []
    pending = ""  # sentences without a marker, waiting for the one that cites them
    for s, e in sentence_spans(text):
        sentence = pending + text[s:e]
        markers = [int(n) for group in MARKER.findall(sentence) for n in group.split(",")]
        if not markers:
            # One citation may cover a quote of several sentences ("... listed below: A. NIPS ... [1]"):
            # the marker at its end cites them all, so they are checked together against its quote.
            pending = sentence + " "
            continue
        pending = ""
        out += _statement(sentence, markers)
    return out + _statement(pending, [])


def _statement(sentence: str, markers: list[int]) -> list[Statement]:
    clean = re.sub(r"\s+([.!?,;:])", r"\1", MARKER.sub("", sentence)).strip()
    # "No — <quote>": the particle is the answer's verdict (checked by the key facts); the claim to
    # verify against the citation is what follows it.
    clean = _ANSWER_PARTICLE.sub("", clean) or clean
    return [Statement(clean, list(dict.fromkeys(markers)))] if words(clean) else []


def atomic_claims(sentence: str) -> list[str]:
    """The sentence cut where it makes a further assertion; parts too short to assert stay joined."""
    parts = [p.strip(" ,.;") for p in _JOINTS.split(sentence)]
    claims: list[str] = []
    for part in parts:
        if claims and len(words(part)) < MIN_CLAIM_WORDS:
            claims[-1] = f"{claims[-1]}, {part}"
        elif part:
            claims.append(part)
    if len(claims) > 1 and len(words(claims[0])) < MIN_CLAIM_WORDS:
        claims[1] = f"{claims[0]}, {claims[1]}"
        claims.pop(0)
    return claims or [sentence]
