"""The readable text of an HTML page: its content, without the site around it.

A saved web page wraps its text in navigation, menus, theme pickers, help pop-ups and footers; read
whole, a documentation page opens "Keyboard shortcuts / Press ← or → to navigate ..." and every
chunk of it is titled so. As readability tools do (Mozilla Readability, trafilatura), the text comes
from the page's ``<main>`` (or its ``<article>`` elements) when it marks one, and page furniture is
dropped everywhere: ``nav``, ``aside``, ``footer``, buttons, hidden elements and ARIA landmarks that
are not content. Built on the standard library's parser rather than trafilatura (lxml and four more
packages): generated sites say in their markup which part is the content, and this reads that.
"""

from __future__ import annotations

import html
import html.parser
import re
from dataclasses import dataclass

# Elements that are page furniture wherever they are.
FURNITURE_TAGS = {"script", "style", "noscript", "template", "head", "nav", "aside", "footer", "button",
                  "select", "textarea", "dialog", "svg", "canvas", "iframe", "menu"}
# ARIA roles of the same kinds of element, given to a <div> or a <ul>.
FURNITURE_ROLES = {"navigation", "menu", "menubar", "banner", "contentinfo", "search", "dialog",
                   "complementary", "toolbar", "tablist"}
_BLOCKS = {"p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section",
           "main", "header", "tr", "table", "pre", "blockquote", "dt", "dd", "figure", "figcaption", "hr"}
_CELLS = {"td", "th"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}


@dataclass
class _Piece:
    text: str
    region: str  # "main", "article" or "" (the rest of the body)
    in_h1: bool
    heading: int = 0  # inside the n-th <h1>..<h6> of the page (0: outside any)


class _PageReader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[_Piece] = []
        self.page_title: str | None = None
        self._in_title = False
        self._skipping: list[list] = []  # [tag, depth] of the furniture element being skipped
        self._regions: list[list] = []  # [tag, depth, region] of the content elements we are inside
        self._open = {"main": 0, "article": 0}  # how many of _regions are of each kind (kept, not recounted)
        self._h1_depth = 0
        self._heading_depth = 0
        self._headings_seen = 0
        self._pre_depth = 0
        self._lists: list[list] = []  # [tag, items so far] of the open <ul>/<ol>, innermost last
        self._item_opened = False  # a list mark was written and no text yet: a <p> inside stays on its line

    def _region(self) -> str:
        return "main" if self._open["main"] else ("article" if self._open["article"] else "")

    def _enter(self, tag: str, region: str) -> None:
        self._regions.append([tag, 1, region])
        self._open[region] += 1

    def _emit(self, text: str) -> None:
        if self._skipping or (self._item_opened and not text.strip()):
            return
        self._item_opened = False
        self.pieces.append(_Piece(text, self._region(), self._h1_depth > 0,
                                  self._headings_seen if self._heading_depth else 0))

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag in _BLOCKS:
                self._emit("\n\n")
            return
        if self._skipping:  # only the skipped element's own end matters: count its nesting
            if self._skipping[-1][0] == tag:
                self._skipping[-1][1] += 1
            return
        attributes = {k: (v or "") for k, v in attrs}
        role = attributes.get("role", "").lower()
        hidden = ("hidden" in attributes or attributes.get("aria-hidden", "").lower() == "true"
                  or re.search(r"display\s*:\s*none", attributes.get("style", ""), re.I))
        if tag in FURNITURE_TAGS or role in FURNITURE_ROLES or hidden:
            self._skipping.append([tag, 1])
            return
        if tag == "main" or role == "main":
            self._enter(tag, "main")
        elif tag == "article":
            self._enter(tag, "article")
        elif self._regions and self._regions[-1][0] == tag:
            self._regions[-1][1] += 1
        if tag == "h1":
            self._h1_depth += 1
        if tag in _HEADINGS:
            self._heading_depth += 1
            self._headings_seen += 1
        if tag == "pre":
            self._pre_depth += 1
        if tag in ("ul", "ol"):
            self._lists.append([tag, 0])
        if tag == "li":  # an item on its own line with the mark a browser draws: "• " or "2. "
            mark = "• "
            if self._lists:
                self._lists[-1][1] += 1
                mark = f"{self._lists[-1][1]}. " if self._lists[-1][0] == "ol" else mark
                if self._lists[-1][1] > 1:  # the item before ended in a block: no blank line between items
                    while self.pieces and not self.pieces[-1].text.strip():
                        self.pieces.pop()
            self._emit("\n" + mark)
            self._item_opened = True
        elif tag in _BLOCKS:
            self._emit("\n\n")
        elif tag in _CELLS:
            self._emit(" ")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self._skipping:
            top = self._skipping[-1]
            if top[0] == tag:
                top[1] -= 1
                if top[1] == 0:
                    self._skipping.pop()
            return
        if tag in _BLOCKS:
            self._emit("\n\n")
        elif tag in _CELLS:
            self._emit(" ")
        if tag == "h1" and self._h1_depth:
            self._h1_depth -= 1
        if tag in _HEADINGS and self._heading_depth:
            self._heading_depth -= 1
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        if self._regions and self._regions[-1][0] == tag:
            self._regions[-1][1] -= 1
            if self._regions[-1][1] == 0:
                self._open[self._regions.pop()[2]] -= 1

    def handle_data(self, data):
        if self._in_title and self.page_title is None and data.strip():
            self.page_title = data.strip()
            return
        # Outside <pre>, a browser shows a run of white space (line breaks too) as one space.
        self._emit(data if self._pre_depth else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> tuple[str | None, str]:
    """(title, text) of a page: the text of its main content (see the module docstring), blocks
    separated by blank lines; the title is the content's first <h1>, else the page's <title>."""
    title, text, _ = read_html(markup)
    return title, text


def read_html(markup: str) -> tuple[str | None, str, list[str]]:
    """(title, text, headings) of a page: as ``html_to_text``, with the text of each <h1>..<h6> of the
    content, in order (the sections a citation can name)."""
    reader = _PageReader()
    reader.feed(markup)
    reader.close()
    pieces = reader.pieces
    for region in ("main", "article"):
        inside = [p for p in pieces if p.region == region or (region == "article" and p.region == "main")]
        if any(p.text.strip() for p in inside):
            pieces = inside
            break
    text = "".join(p.text for p in pieces)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    title = _first_heading(pieces) or reader.page_title
    return (html.unescape(re.sub(r"\s+", " ", title).strip()) if title else None), text, _headings(pieces)


def _headings(pieces: list[_Piece]) -> list[str]:
    texts: dict[int, list[str]] = {}
    for p in pieces:
        if p.heading:
            texts.setdefault(p.heading, []).append(p.text)
    headings = (" ".join("".join(parts).split()) for parts in texts.values())
    return [h for h in headings if h]


def _first_heading(pieces: list[_Piece]) -> str:
    heading: list[str] = []
    for p in pieces:
        if p.in_h1:
            heading.append(p.text)
        elif heading and "".join(heading).strip():
            break
    return " ".join("".join(heading).split())
