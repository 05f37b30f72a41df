"""Questions about the corpus as a whole: "Which article was published first?", "Which articles are
dated 2022?". Retrieval ranks passages by content, so it cannot answer them; the documents' metadata
can. Each sentence cites the article it names (its opening sentence as the quote, its date beside it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .store import Chunk
from .text import content_stems, sentence_spans, stem

_ABOUT_ARTICLES = re.compile(r"^\s*(which|what|list|name)\b.*\b(articles?|stor(y|ies)|documents?|reports?|pieces?)\b",
                             re.IGNORECASE)
_EARLIEST = re.compile(r"\b(first|earliest|oldest)\b", re.IGNORECASE)
_LATEST = re.compile(r"\b(last|latest|newest|most recent|recent)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_DATES = re.compile(r"\b(dates?|dated|published|publish|written|appeared|came out)\b", re.IGNORECASE)
# Words of such a question that say nothing about the articles' content.
_FRAME = {stem(w) for w in (
    "which what list name article articles story stories document documents report reports piece pieces "
    "published publish dated date dates written appeared came out first earliest oldest last latest newest most "
    "recent corpus collection there in from year when the"
).split()}


@dataclass
class CatalogQuery:
    kind: str  # "earliest" | "latest" | "year" | "all"
    year: str | None = None


def catalog_query(question: str) -> CatalogQuery | None:
    """The corpus-level date question this is, or None for a question about the articles' content."""
    if not _ABOUT_ARTICLES.search(question) or not (_DATES.search(question) or _EARLIEST.search(question)
                                                    or _LATEST.search(question)):
        return None
    topic = [s for s in content_stems(_YEAR.sub("", question)) if s not in _FRAME]
    if topic:  # "Which article about the moon was published first?" is a content question
        return None
    year = _YEAR.search(question)
    if year:
        return CatalogQuery("year", year.group(1))
    if _EARLIEST.search(question):
        return CatalogQuery("earliest")
    if _LATEST.search(question):
        return CatalogQuery("latest")
    return CatalogQuery("all")


def opening_chunks(chunks: list[Chunk]) -> list[Chunk]:
    """Each document's first chunk, documents in id order."""
    first: dict[str, Chunk] = {}
    for c in chunks:
        if c.doc_id not in first or c.start < first[c.doc_id].start:
            first[c.doc_id] = c
    return [first[d] for d in sorted(first)]


def opening_sentence(chunk: Chunk) -> tuple[str, int, int]:
    """The chunk's first sentence and its span in the document."""
    spans = sentence_spans(chunk.text)
    s, e = spans[0] if spans else (0, len(chunk.text))
    return chunk.text[s:e], chunk.start + s, chunk.start + e


def catalog_answer(query: CatalogQuery, chunks: list[Chunk]) -> list[tuple[str, list[int]]]:
    """Sentences (with the 1-based indexes of ``chunks`` they cite) answering ``query``."""
    def title(c: Chunk) -> str:
        return c.doc_title.rstrip(" .")

    dated = sorted((i for i, c in enumerate(chunks, 1) if c.date), key=lambda i: chunks[i - 1].date)
    undated = [i for i, c in enumerate(chunks, 1) if not c.date]
    out: list[tuple[str, list[int]]] = []
    if query.kind in ("earliest", "latest") and dated:
        pick = dated[0] if query.kind == "earliest" else dated[-1]
        c = chunks[pick - 1]
        which = "earliest" if query.kind == "earliest" else "most recent"
        out.append((f"The {which} dated article is “{title(c)}”, dated {c.date}.", [pick]))
    elif query.kind == "year":
        matching = [i for i in dated if chunks[i - 1].date.startswith(query.year)]
        if matching:
            out += [(f"“{title(chunks[i - 1])}” is dated {chunks[i - 1].date}.", [i]) for i in matching]
        else:
            out += [(f"No article is dated {query.year}: “{title(chunks[i - 1])}” is dated {chunks[i - 1].date}.", [i])
                    for i in dated]
    else:
        out += [(f"“{title(chunks[i - 1])}” is dated {chunks[i - 1].date}.", [i]) for i in dated]
    # Undated articles are named too: any of them could be the answer the metadata cannot give.
    out += [(f"“{title(chunks[i - 1])}” carries no date.", [i]) for i in undated]
    return out
