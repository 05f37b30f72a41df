"""Reading a corpus folder into documents: ids, titles, dates, and the stories inside tag pages.

A document's ``text`` is the file's text with a leading `` date YYYY-MM-DD`` line removed; every
offset in the pipeline (stories, chunks, quotes) points into that text, so a quote can always be
checked against it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .html_text import read_html
from .layout import (
    Story,
    front_matter,
    located_lines,
    located_pages,
    markdown_headings,
    markdown_title,
    split_stories,
    tag_page_name,
)

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")
_FRONT_MATTER_DATES = ("date", "published", "pubdate", "created")  # the first of these that holds a date
_ISO_DATE = re.compile(r"^[\"']?(\d{4}-\d{2}-\d{2})(?!\d)")
# A markup comment on lines of its own (a note to editors or to an AI agent, not the document's text).
_MARKUP_COMMENT = re.compile(r"^[ \t]*<!--(?:(?!-->).)*-->[ \t]*(?:\n|\Z)", re.S | re.M)


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
        title = fields.get("title") or markdown_title(text) or stories[0].title
    else:
        title = html_title or stories[0].title
    if len(stories) > 1 and (page_name := tag_page_name(text)):
        title = page_name  # the tag page's own name, e.g. "Tag: Cooperation"
    if suffix in (".md", ".markdown"):
        headings = markdown_headings(text)
    else:
        headings = located_lines(text, html_headings)
    pages = located_pages(text, page_texts)
    return SourceDocument(doc_id=path.stem, title=title, date=date, text=text, path=path, stories=stories,
                          pages=pages, headings=headings)


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


def set_aside_files(corpus: Path, doc_id: str, keep: Path) -> list[Path]:
    """Move the corpus files of ``doc_id`` into ``keep``; a name kept before gets a time stamp."""
    moved = []
    for f in sorted(corpus.glob("*")):
        if f.is_file() and f.stem == doc_id:
            keep.mkdir(parents=True, exist_ok=True)
            target = keep / f.name
            if target.exists():
                target = keep / f"{f.stem}.{time.strftime('%Y%m%d-%H%M%S')}{f.suffix}"
            shutil.move(str(f), target)
            moved.append(target)
    return moved
