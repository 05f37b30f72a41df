"""Questions about the corpus as a whole: "Which article was published first?", "Which articles are
dated 2022?". Retrieval ranks passages by content, so it cannot answer them; the documents' metadata
can. Each sentence cites the article it names (its opening sentence as the quote, its date beside it).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable

from ..index.store import Chunk
from ..text import content_stems, normalize, sentence_spans, stem
from .guard import CheckedSentence, Support
from .render import Answer, abstain, passages_of, render

_ABOUT_ARTICLES = re.compile(r"^\s*(which|what|list|name)\b.*\b(articles?|stor(y|ies)|documents?|reports?|pieces?)\b",
                             re.IGNORECASE)
_OVERVIEW = re.compile(r"\b(summar(y|ise|ize|izing)|overview)\b.*\b(articles?|documents?|corpus|stories)\b|"
                       r"\bwhat (are|is) (the|these) (articles?|documents?|corpus|stories) about\b|"
                       r"\bwhat (does|is in) the (corpus|collection)\b", re.IGNORECASE)
_EARLIEST = re.compile(r"\b(first|earliest|oldest)\b", re.IGNORECASE)
_LATEST = re.compile(r"\b(last|latest|newest|most recent|recent)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_DATES = re.compile(r"\b(dates?|dated|published|publish|written|appeared|came out)\b", re.IGNORECASE)
# Words of such a question that say nothing about the articles' content (stopwords aside).
_FRAME = {stem(w) for w in (
    "list name article story document report piece published publish dated date written appeared came "
    "first earliest oldest last latest newest recent corpus collection year"
).split()}


@dataclass
class CatalogQuery:
    kind: str  # "earliest" | "latest" | "year" | "all" | "overview"
    year: str | None = None


def catalog_query(question: str) -> CatalogQuery | None:
    """The corpus-level question this is, or None for a question about the articles' content."""
    if _OVERVIEW.search(question):
        return CatalogQuery("overview")
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


def opening_sentence(chunk: Chunk) -> tuple[str, int, int]:
    """The chunk's first statement and its span in the document. Skipped when a real sentence follows:
    questions ("...?"), fragments under 8 words, a story's own headline, and a photo caption (the
    sentences up to a "Photo: ..." credit near the top, as scraped news pages often begin)."""
    spans = sentence_spans(chunk.text) or [(0, len(chunk.text))]
    texts = [normalize(chunk.text[s:e]) for s, e in spans]
    credit = next((n for n, t in enumerate(texts[:4]) if re.search(r"\bPhoto\s*:", t)), -1)
    headline = normalize(chunk.title).lower() if chunk.title != chunk.doc_title else ""

    def statement(n: int) -> bool:
        text = texts[n]
        return (n > credit and not text.endswith("?") and len(text.split()) >= 8
                and not (headline and text.lower() in headline))

    s, e = next((spans[n] for n in range(len(spans)) if statement(n)), spans[0])
    return chunk.text[s:e], chunk.start + s, chunk.start + e


CATALOG_ITEMS = 12  # the most articles (or stories) one answer names: a reader scans a dozen, not 16,000
UNDATED_NAMED = 3  # undated articles named as a caveat to a date answer; the rest are counted


@dataclass
class CatalogPlan:
    """Which documents a catalog answer names, chosen from metadata alone (no chunk is read), and how
    many it leaves out, so the answer stays short at any corpus size."""
    doc_ids: list[str]  # in the order the answer names them
    left_out: int = 0  # matching documents not named
    undated_left_out: int = 0  # undated documents not named in the caveat
    total: int = 0  # documents the question ranges over
    dated: int = 0  # of which carry a date


def plan_catalog(query: CatalogQuery, documents: list[dict]) -> CatalogPlan:
    """The documents (``doc_id``, ``date`` dicts, in id order) the answer to ``query`` names."""
    if query.kind == "overview":  # a page of several stories quotes each, so fewer documents may fit
        return CatalogPlan([d["doc_id"] for d in documents[:CATALOG_ITEMS]], total=len(documents))
    dated = sorted((d for d in documents if d["date"]), key=lambda d: d["date"])
    undated = [d["doc_id"] for d in documents if not d["date"]]
    counted = True  # whether the matching articles left unnamed are counted in the notice
    if query.kind in ("earliest", "latest"):
        matching, counted = (dated[:1] if query.kind == "earliest" else dated[-1:]), False
    elif query.kind == "year":
        matching = [d for d in dated if d["date"].startswith(query.year)]
        if not matching:  # none of that year: the nearest ones are examples, not an answer to count
            matching = sorted(dated, key=lambda d: abs(int(d["date"][:4]) - int(query.year)))
            counted = False
    else:
        matching = dated
    named = [d["doc_id"] for d in matching[:CATALOG_ITEMS]]
    left_out = max(0, len(matching) - CATALOG_ITEMS) if counted else 0
    return CatalogPlan(named + undated[:UNDATED_NAMED], left_out, max(0, len(undated) - UNDATED_NAMED),
                       len(documents), len(dated))


def catalog_notice(query: CatalogQuery, plan: CatalogPlan, openings: list[Chunk]) -> str:
    """What the answer quoting ``openings`` leaves out, said after it ("" when it names everything)."""
    parts = []
    quoted = len({c.doc_id for c in openings[:CATALOG_ITEMS]})
    if query.kind == "overview" and quoted < plan.total:
        parts.append(f"These are the openings of {quoted} of {plan.total:,} documents, in id order; ask about "
                     f"a topic to search them all.")
    elif plan.left_out:
        which = f"dated {query.year}" if query.kind == "year" else "dated"
        parts.append(f"{plan.left_out:,} more documents are {which}; a date filter narrows the list.")
    if plan.undated_left_out:
        parts.append(f"{plan.undated_left_out:,} more documents carry no date"
                     + (f"; none of the {plan.total:,} carries one." if not plan.dated else "."))
    return " ".join(parts)


def catalog_answer(query: CatalogQuery, chunks: list[Chunk]) -> list[tuple[str, list[int]]]:
    """Sentences (with the 1-based indexes of ``chunks`` they cite) answering ``query`` from the
    opening chunks of the documents its plan names (see ``plan_catalog``)."""
    def title(c: Chunk) -> str:
        return c.doc_title.rstrip(" .")

    if query.kind == "overview":  # each article in its own words: its opening statement
        return [(opening_sentence(c)[0], [i]) for i, c in enumerate(chunks[:CATALOG_ITEMS], 1)]
    dated = sorted((i for i, c in enumerate(chunks, 1) if c.date), key=lambda i: chunks[i - 1].date)
    undated = [i for i, c in enumerate(chunks, 1) if not c.date]
    out: list[tuple[str, list[int]]] = []
    if query.kind in ("earliest", "latest") and dated:
        pick = dated[0] if query.kind == "earliest" else dated[-1]
        c = chunks[pick - 1]
        which = "earliest" if query.kind == "earliest" else "most recent"
        out.append((f"The {which} dated document is “{title(c)}”, dated {c.date}.", [pick]))
    elif query.kind == "year":
        matching = [i for i in dated if chunks[i - 1].date.startswith(query.year)]
        if matching:
            out += [(f"“{title(chunks[i - 1])}” is dated {chunks[i - 1].date}.", [i]) for i in matching]
        else:
            out += [(f"{'' if n else f'No document is dated {query.year}: '}“{title(chunks[i - 1])}” is dated "
                     f"{chunks[i - 1].date}.", [i]) for n, i in enumerate(dated)]
    else:
        out += [(f"“{title(chunks[i - 1])}” is dated {chunks[i - 1].date}.", [i]) for i in dated]
    # Undated articles are named too: any of them could be the answer the metadata cannot give.
    out += [(f"“{title(chunks[i - 1])}” carries no date.", [i]) for i in undated]
    return out


def catalog_route(query: CatalogQuery, question: str, standalone: str, documents: list[dict],
                  openings_of: Callable[[bool, list[str]], list[Chunk]], started: float) -> Answer:
    """The answer to a corpus-level question from the ``documents``' metadata and the opening chunks
    ``openings_of(per_story, doc_ids)`` gives of the documents the plan names."""
    plan = plan_catalog(query, documents)
    stored = openings_of(query.kind == "overview", plan.doc_ids)
    rank = {doc_id: n for n, doc_id in enumerate(plan.doc_ids)}
    openings = sorted(stored, key=lambda c: (rank[c.doc_id], c.story))  # the plan's order, stories in order
    # Cited as whole articles: the citation carries the article's title, not its first story's.
    chunks = [dataclasses.replace(c, title=c.doc_title) for c in openings]
    sources = [{"doc_id": c.doc_id, "title": c.doc_title, "date": c.date, "score": 1.0} for c in chunks]
    base = Answer("", [], False, question, standalone, sources, passages_of(chunks))
    base.notice = catalog_notice(query, plan, openings)
    kept = []
    sentences = catalog_answer(query, openings)
    order = list(dict.fromkeys(i for _, cited in sentences for i in cited))  # sources as the answer names them
    base.sources = [base.sources[i - 1] for i in order]
    for sentence, cited in sentences:
        supports = [Support(i, *opening_sentence(openings[i - 1]), 1.0) for i in cited]
        kept.append(CheckedSentence(sentence, supports))
    return render(base, kept, chunks, started, final=True) if kept else abstain(base, started)
