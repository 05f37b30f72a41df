"""Lists in text: bulleted items, and the web addresses a list of datasets or links is mostly made of (a
web address is many characters and tokens but one word to read past: budgets count it so)."""

from __future__ import annotations

import re

BULLET = re.compile(r"[▪•·●◦*\-–—o]\s")  # an item of a bulleted list (not "D. ...", which may be a heading)
_ITEM_MARK = re.compile(r"[▪•·●◦*\-–—o]\s|\(?(?:\d{1,2}|[A-Za-z]|[ivxIVX]{1,4})[.)]\s")  # "• ", "2. ", "(b) ", "iv) "
PROSE_WORDS = 6  # a full stop after this many words is a sentence of prose, not a caption, a cell or a label
_URL = re.compile(r"\b(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))")  # not its closing punctuation
URL_READS_AS = 10  # characters a web address counts for in a budget: one word to read past, however long


def reading_end(text: str, start: int, budget: int) -> int:
    """Where a span of ``text`` from ``start`` that reads ``budget`` characters ends. A web address counts
    as one word: a list of datasets with their URLs is as long to read as one without them."""
    at, left = start, budget
    for url in _URL.finditer(text, start):
        if url.start() - at >= left:
            break
        left -= url.start() - at + URL_READS_AS
        at = url.end()
        if left <= 0:
            return at
    return min(len(text), at + left)


def reading_length(text: str) -> int:
    """How long ``text`` reads, a web address counting as one word (see ``reading_end``)."""
    return len(text) - sum(len(m.group()) - URL_READS_AS for m in _URL.finditer(text))


def is_prose(sentence: str) -> bool:
    """Whether ``sentence`` reads as prose: at least ``PROSE_WORDS`` words and a closing full stop."""
    return bool(re.search(r"[.!?][\"”')\]]*$", sentence.rstrip())) and len(sentence.split()) >= PROSE_WORDS


# An enumerated item: "Strategy 2: ...", "Step 3: ..." anywhere (a capitalised label, a number and a
# colon), or a line that opens with "2) ..." / "(2) ..." (a numbered sub-heading or list item).
_ENUMERATED = re.compile(r"\b(?P<label>[A-Z][a-z]{2,}) (?P<number>\d{1,2}):"
                         r"|(?:^|\n)[ \t]*\(?(?P<bare>\d{1,2})\)[ \t]")


def marks_item(text: str, at: int) -> bool:
    """Whether the line at ``at`` opens with an item's mark: a bullet, "2.", "(b)", "iv)" or "Step 3:"."""
    return bool(_ITEM_MARK.match(text, at) or _ENUMERATED.match(text, at))


def is_address(text: str) -> bool:
    """Whether ``text`` is a web address alone (a list item's second line, as a PDF wraps it)."""
    return bool(_URL.fullmatch(re.sub(r"\s+", "", text)))


def shorten_addresses(text: str) -> str:
    """``text`` with each web address cut to its host ("https://github.com/openimages/dataset" ->
    "github.com"): what a reader (or the judge) needs of it, at a tenth of the tokens."""
    return _URL.sub(lambda m: re.sub(r"^(https?://)?(www\.)?", "", m.group()).split("/", 1)[0], text)

