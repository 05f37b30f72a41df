"""What a document's text says of its own layout: front matter, headings, pages, the stories of a tag page
and a title. rag/index/corpus.py reads a file and uses these to describe it; every offset points into the
document's cleaned text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import reflow, sentence_spans, wrap_width

_PAGE_HEADER = re.compile(r"^(tag|tags|category|topic|archive)\s*:.*$", re.IGNORECASE)
_STORY_BREAK = re.compile(r"\n[ \t]*\n[ \t]*\n+")  # two or more blank lines
# Markdown front matter (Jekyll, Hugo, Obsidian): "key: value" lines between "---" lines at the top.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[A-Za-z_][\w-]*[ \t]*:.*\n)(?:.*\n)*?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_MAX_TITLE_CHARS = 120
_MAX_HEADLINE_CHARS = 200


@dataclass(frozen=True)
class Story:
    """A span of a document with its own title (a whole article, or one story of a tag page)."""

    title: str
    start: int
    end: int


_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_MD_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """(offset, heading) of each ATX heading ("## Setup") outside code fences."""
    out, offset, fenced = [], 0, False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _MD_HEADING.match(line)):
            out.append((offset, m.group(2).strip()))
        offset += len(line) + 1
    return out


def located_lines(text: str, lines: list[str]) -> list[tuple[int, str]]:
    """(offset, line) of each of ``lines`` found in ``text`` as a line of its own, in order."""
    out, cursor = [], 0
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        for m in re.finditer(r"(?m)^[ \t]*" + re.escape(line) + r"[ \t]*$", text[cursor:]):
            out.append((cursor + m.start(), line))
            cursor += m.end()
            break
    return out


def located_pages(text: str, page_texts: list[str]) -> list[tuple[int, int]]:
    """(offset, page number) where each page of a paged document starts in ``text``, pages without text
    left out; the first page found starts at 0 (a cover page's lines belong to page 1's span)."""
    out, cursor = [], 0
    for number, page in enumerate(page_texts, 1):
        head = page.strip().replace("\r\n", "\n").replace("\r", "\n")[:80]
        at = text.find(head, cursor) if head else -1
        if at >= 0:
            out.append((0 if not out else at, number))
            cursor = at + len(head)
    return out


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """(fields, the rest) of a Markdown text opening with front matter; ({}, text) without it. Only
    top-level "key: value" lines are read (lists and nested maps are skipped), quotes taken off."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()) and not line[:1].isspace():
            fields.setdefault(key.strip().lower(), value.strip().strip("\"'").strip())
    return {k: v for k, v in fields.items() if v}, text[match.end():]


def split_stories(text: str) -> list[Story]:
    """Split a page that holds several unrelated stories; an ordinary article is one story.

    A page is split when it opens with a "Tag:/Category:" header, or when it has at least three
    blocks separated by two blank lines that each open with a headline line.
    """
    blocks: list[tuple[int, int]] = []
    pos = 0
    for m in _STORY_BREAK.finditer(text):
        blocks.append((pos, m.start()))
        pos = m.end()
    blocks.append((pos, len(text)))
    blocks = [(s, e) for s, e in blocks if text[s:e].strip()]

    first_line = text.split("\n", 1)[0].strip()
    has_header = bool(_PAGE_HEADER.match(first_line))
    headlined = sum(1 for s, e in blocks if _headline(text[s:e]) is not None)
    # Hard-wrapped text (a PDF's, a plain-text export) is one document laid out in pages: its blank-line
    # runs are page and figure breaks ("... The deep network initialization approach / TABLE II ... /
    # of Xavier has been proposed ..."), and every block opens with a short line.
    wrapped = wrap_width(text.split("\n")) is not None
    if len(blocks) < 2 or not (has_header or (len(blocks) >= 3 and headlined >= len(blocks) - 1 and not wrapped)):
        return [Story(title=_title_of(text), start=0, end=len(text))]

    stories = []
    for start, end in blocks:
        if start == 0 and has_header:  # the page header belongs to no story
            start = text.index("\n", 0) + 1 if "\n" in text[:end] else end
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            stories.append(Story(title=_title_of(text[start:end]), start=start, end=end))
    return stories


def _headline(block: str) -> str | None:
    """The block's first line if it reads like a headline (short, not a finished paragraph)."""
    first, _, rest = block.strip().partition("\n")
    first = first.strip()
    if first[:1].islower():  # the rest of a sentence a figure or page break cut
        return None
    if rest.strip() and 0 < len(first) <= 200 and len(first.split()) <= 30:
        return first
    return None


def _title_of(text: str) -> str:
    """The first heading line, else the first sentence (hard-wrapped lines joined), cut at a word boundary."""
    headline = _headline(text)
    if headline and len(headline) <= _MAX_HEADLINE_CHARS and not headline.endswith("."):
        title = headline.lstrip("#").strip().rstrip("–—-:").strip()
        if re.search(r"[A-Za-z]{2}", title):
            return title
    prose = text.strip()[:2000]
    # The first sentence with words in it: a PDF page may open with a lone symbol (e.g. U+F020).
    spans = [(s, e) for s, e in sentence_spans(prose) if re.search(r"[^\W\d_]{2}", prose[s:e])]
    sentence = reflow(prose[spans[0][0]:spans[0][1]] if spans else prose).lstrip("#").strip()
    if len(sentence) > _MAX_TITLE_CHARS:
        sentence = sentence[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0] + " …"
    return sentence


def markdown_title(text: str) -> str | None:
    """The text of the first line that opens with "#"."""
    for line in text.split("\n"):
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def tag_page_name(text: str) -> str | None:
    """The first line of a page that opens with a "Tag:/Category:" header (its own name), else None."""
    first = text.split("\n", 1)[0].strip()
    return first if _PAGE_HEADER.match(first) else None
