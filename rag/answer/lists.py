"""Lists in text: bulleted items, the web addresses a list of datasets or links is mostly made of (a
web address is many characters and tokens but one word to read past: budgets count it so), and
enumerations whose items lie sentences or paragraphs apart ("Strategy 1: ... Strategy 2: ...")."""

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


# An enumerated item: "Strategy 2: ...", "Step 3: ..." anywhere (a capitalised label, a number and a
# colon), or a line that opens with "2) ..." / "(2) ..." (a numbered sub-heading or list item).
_ENUMERATED = re.compile(r"\b(?P<label>[A-Z][a-z]{2,}) (?P<number>\d{1,2}):"
                         r"|(?:^|\n)[ \t]*\(?(?P<bare>\d{1,2})\)[ \t]")


# "Table 2:" or "Section 3:" names a part of the document (a caption, a cross-reference), not an item.
_DOCUMENT_PARTS = {"Table", "Figure", "Section", "Chapter", "Appendix", "Equation", "Page", "Part", "Listing"}


def enumerated_items(text: str) -> list[tuple[str, int, int]]:
    """Each enumerated item that ``text`` holds, as (label, number, offset): ("Strategy", 2, 120) for
    "Strategy 2: Decrease ...", ("", 3, 0) for "3) Generalization"."""
    return [(m["label"] or "", int(m["number"] or m["bare"]), m.start() + (m.group()[0] == "\n"))
            for m in _ENUMERATED.finditer(text) if m["label"] not in _DOCUMENT_PARTS]


ENUMERATION_ITEMS = 8  # items of an enumeration followed on from one
ENUMERATION_GAP = 1500  # ... each opening within this many characters of the item before (a paragraph or two)


def enumeration_run(openings: dict[tuple[str, int], int], label: str, number: int, at: int,
                    step: int = 1) -> list[int]:
    """Where the items after (``step`` -1: before) item ``number`` at offset ``at`` open, in order of
    reading away from it: ``openings`` maps (label, number) to the offset of the sentence that holds
    that item; the run stops at the first number missing or too far from the item before it."""
    run = []
    for _ in range(ENUMERATION_ITEMS):
        number += step
        offset = openings.get((label, number))
        if offset is None or (offset - at) * step <= 0 or abs(offset - at) > ENUMERATION_GAP:
            break
        run.append(offset)
        at = offset
    return run

