"""Reading a corpus folder into documents: ids, titles, dates, and the stories inside tag pages.

A document's ``text`` is the file's text with a leading `` date YYYY-MM-DD`` line removed; every
offset in the pipeline (stories, chunks, quotes) points into that text, so a quote can always be
checked against it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..text import reflow, sentence_spans, wrap_width
from .html_text import read_html

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")
_PAGE_HEADER = re.compile(r"^(tag|tags|category|topic|archive)\s*:.*$", re.IGNORECASE)
_STORY_BREAK = re.compile(r"\n[ \t]*\n[ \t]*\n+")  # two or more blank lines
# Markdown front matter (Jekyll, Hugo, Obsidian): "key: value" lines between "---" lines at the top.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[A-Za-z_][\w-]*[ \t]*:.*\n)(?:.*\n)*?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_FRONT_MATTER_DATES = ("date", "published", "pubdate", "created")  # the first of these that holds a date
_ISO_DATE = re.compile(r"^[\"']?(\d{4}-\d{2}-\d{2})(?!\d)")
# A markup comment on lines of its own (a note to editors or to an AI agent, not the document's text).
_MARKUP_COMMENT = re.compile(r"^[ \t]*<!--(?:(?!-->).)*-->[ \t]*(?:\n|\Z)", re.S | re.M)
_MAX_TITLE_CHARS = 120
_MAX_HEADLINE_CHARS = 200


@dataclass(frozen=True)
class Story:
    """A span of a document with its own title (a whole article, or one story of a tag page)."""

    title: str
    start: int
    end: int


@dataclass
class SourceDocument:
    """One corpus file, cleaned: ``doc_id`` is the file stem."""

    doc_id: str
    title: str
    date: str | None
    text: str
    path: Path
    stories: list[Story] = field(default_factory=list)
    # Layout, for citations: (offset, page number) where each page starts (PDFs), and (offset, heading)
    # where each section starts (Markdown and HTML headings). Offsets point into ``text``.
    pages: list[tuple[int, int]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass
class LoadReport:
    documents: list[SourceDocument]
    skipped: list[tuple[Path, str]]  # (file, reason) for files that could not be read
    # Files that could not be read, by path relative to the folder: {"size", "mtime_ns", "reason"}. Given
    # back to the next load_corpus, a file still the same is not read again (a pathological file once).
    unreadable: dict[str, dict] = field(default_factory=dict)


def load_corpus(folder: Path, max_chars: int | None = None, unreadable: dict[str, dict] | None = None,
                read: Callable[[Path, int | None], SourceDocument] | None = None) -> LoadReport:
    """Read every supported file under ``folder``; unreadable ones are reported in ``skipped``, not raised.
    ``max_chars``: a document with more text is skipped. ``unreadable``: what an earlier load found
    unreadable (``LoadReport.unreadable``); a file of the same size and time is skipped unread. ``read``:
    how one file is read (default ``load_document``; the ingest reads in a worker process with a time
    limit, ``rag.index.reader_process``)."""
    read = read or load_document
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {folder}")
    documents: list[SourceDocument] = []
    skipped: list[tuple[Path, str]] = []
    failed: dict[str, dict] = {}
    seen: dict[str, Path] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append((path, f"unsupported file type {path.suffix or '(none)'}"))
            continue
        key, stat = str(path.relative_to(folder)), path.stat()
        before = (unreadable or {}).get(key)
        if before and (before.get("size"), before.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns):
            failed[key] = before
            skipped.append((path, f"{before.get('reason')} (as when last read; change the file to try again)"))
            continue
        try:
            doc = read(path, max_chars)
        except (OSError, ValueError) as exc:
            failed[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "reason": str(exc)}
            skipped.append((path, str(exc)))
            log.warning("skipped %s: %s", path, exc)
            continue
        if doc.doc_id in seen:
            skipped.append((path, f"duplicate document id {doc.doc_id!r} (also {seen[doc.doc_id].name})"))
            continue
        seen[doc.doc_id] = path
        documents.append(doc)
    return LoadReport(documents, skipped, failed)


def load_document(path: Path, max_chars: int | None = None) -> SourceDocument:
    """Read one file. Raises ValueError for binary, undecodable or empty files, and for text past
    ``max_chars`` characters."""
    suffix = path.suffix.lower()
    if max_chars and suffix != ".pdf" and path.stat().st_size > 4 * max_chars:  # not even worth reading
        raise ValueError(f"{path.stat().st_size / 1e6:.1f} MB is over the {max_chars:,} characters a document "
                         "may hold (RAG_MAX_DOCUMENT_CHARS)")
    html_title = None
    page_texts: list[str] = []
    html_headings: list[str] = []
    if suffix == ".pdf":
        page_texts = _read_pdf(path)
        raw_text = "\n\n".join(p for p in page_texts if p)
    else:
        raw_text = _read_text(path)
        if suffix in (".html", ".htm"):
            html_title, raw_text, html_headings = read_html(raw_text)
    raw_text = raw_text.replace("\r\n", "\n").replace("\r", "\n")

    fields: dict[str, str] = {}
    if suffix in (".md", ".markdown"):
        fields, raw_text = front_matter(raw_text)
        raw_text = _MARKUP_COMMENT.sub("", raw_text)
    date = next((m.group(1) for m in (_ISO_DATE.match(fields.get(k, "")) for k in _FRONT_MATTER_DATES) if m), None)
    match = _DATE_LINE.match(raw_text)
    if match:
        date = match.group(1)
        raw_text = raw_text[match.end():]
    text = raw_text.strip()
    if not text:
        raise ValueError("file holds no text")
    if max_chars and len(text) > max_chars:
        raise ValueError(f"{len(text):,} characters of text is over the {max_chars:,} a document may hold "
                         "(RAG_MAX_DOCUMENT_CHARS)")

    stories = split_stories(text)
    if suffix in (".md", ".markdown"):
        title = fields.get("title") or _markdown_title(text) or stories[0].title
    else:
        title = html_title or stories[0].title
    if len(stories) > 1 and _PAGE_HEADER.match(text.split("\n", 1)[0].strip()):
        title = text.split("\n", 1)[0].strip()  # the tag page's own name, e.g. "Tag: Cooperation"
    if suffix in (".md", ".markdown"):
        headings = markdown_headings(text)
    else:
        headings = located_lines(text, html_headings)
    pages = located_pages(text, page_texts)
    return SourceDocument(doc_id=path.stem, title=title, date=date, text=text, path=path, stories=stories,
                          pages=pages, headings=headings)


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


def _markdown_title(text: str) -> str | None:
    for line in text.split("\n"):
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def _read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


# A BOM names its encoding; UTF-16/32 text without one is not guessed (its NUL bytes read as binary).
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Share of control characters (other than tab, newline, carriage return, form feed) above which
# decoded bytes are not text: real prose has next to none, binary formats have many.
_MAX_CONTROL_SHARE = 0.01


def decode_text(data: bytes) -> str:
    """Bytes of a text file as str: UTF-8, or the encoding its BOM names (UTF-16/32), else Windows-1252
    (what a Latin-1 export usually is). Raises ValueError for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"not valid {encoding.upper()} text ({exc.reason})") from None
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError("binary data (control characters), not text")
    return text


def _read_pdf(path: Path) -> list[str]:
    """The text of each page ("" for a page without text)."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise ValueError("reading PDF needs the 'pypdf' package (pip install pypdf)") from None
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable PDF: {exc}") from None
    return [p.strip() for p in pages]
