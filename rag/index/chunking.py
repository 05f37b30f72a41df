"""Chunking: a document -> token-sized chunks (LlamaIndex's sentence splitter, tiktoken counts), each an
exact span of the document's text with the layout marks (page, section) that hold for it.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from ..settings import Settings
from ..text import normalize
from ..tokens import tiktoken_tokenizer
from .corpus import SourceDocument
from .store import Chunk

if TYPE_CHECKING:
    from llama_index.core.node_parser import SentenceSplitter


def make_splitter(settings: Settings) -> SentenceSplitter:
    """LlamaIndex's sentence splitter with tiktoken token counts (imported here: only indexing needs it)."""
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        tokenizer=tiktoken_tokenizer(),
        paragraph_separator="\n\n",
    )


def chunk_document(doc: SourceDocument, splitter: SentenceSplitter) -> list[Chunk]:
    """Chunks of every story of ``doc``; each chunk's text is exactly ``doc.text[start:end]``."""
    chunks: list[Chunk] = []
    page_offsets, heading_offsets = [m[0] for m in doc.pages], [m[0] for m in doc.headings]
    for story_no, story in enumerate(doc.stories):
        story_text = doc.text[story.start : story.end]
        # split_text, not get_nodes_from_documents: building nodes hashes the whole document once per
        # chunk (its relationship to the source), quadratic in the document's length (a 800 KB line: 0.6 s
        # of SHA-256 in 2.1 s). The offsets are found as LlamaIndex finds them: from the previous start on.
        cursor = 0
        for content in splitter.split_text(story_text):
            start = story_text.find(content, cursor)
            if start < 0:
                start = _locate(story_text, content, cursor)
            end = start + len(content) if story_text[start : start + len(content)] == content else _span_end(
                story_text, content, start
            )
            cursor = start + 1
            chunks.append(
                Chunk(
                    id=f"{doc.doc_id}:{story_no}:{len(chunks)}", doc_id=doc.doc_id,
                    text=doc.text[story.start + start : story.start + end], title=story.title,
                    doc_title=doc.title, date=doc.date, story=story_no,
                    start=story.start + start, end=story.start + end, content_hash=doc.content_hash,
                    file=doc.path.name,
                    page_marks=marks_within(doc.pages, page_offsets, story.start + start, story.start + end),
                    section_marks=marks_within(doc.headings, heading_offsets, story.start + start,
                                               story.start + end),
                )
            )
    return chunks


def marks_within(marks: list[tuple], offsets: list[int], start: int, end: int) -> tuple[tuple, ...]:
    """The layout marks (offset, value) that hold for ``[start, end)``: the last one at or before ``start``
    and those inside the span. ``offsets`` are the marks' offsets (sorted: marks are found in order)."""
    first = max(0, bisect.bisect_right(offsets, start) - 1)
    last = bisect.bisect_left(offsets, end)
    return tuple(m for m in marks[first:last] if m[0] < end)


def _locate(text: str, content: str, cursor: int) -> int:
    """Start of ``content`` in ``text`` when the splitter changed whitespace (searched from ``cursor``)."""
    exact = text.find(content, max(0, cursor - len(content)))
    if exact >= 0:
        return exact
    head = normalize(content)[:40]
    for start in range(max(0, cursor - 1), len(text)):
        if normalize(text[start : start + len(head) * 2]).startswith(head):
            return start
    raise ValueError("chunk text not found in its document")


def _span_end(text: str, content: str, start: int) -> int:
    """End of the span starting at ``start`` whose normalised text equals ``content``'s."""
    target = len(normalize(content))
    end = start + len(content)
    while end < len(text) and len(normalize(text[start:end])) < target:
        end += 1
    while end > start and len(normalize(text[start:end])) > target:
        end -= 1
    return end
