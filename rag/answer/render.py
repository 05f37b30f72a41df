"""The public answer shape (``Answer``, ``Citation``) and the last stage: checked sentences -> text
with markers [1].., one citation per quoted span, or an abstention that names the closest sources."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import asdict, dataclass, field

from ..index.store import Chunk
from ..text import normalize
from .guard import CheckedSentence
from .retrieval import ScoredChunk


@dataclass
class Citation:
    marker: int
    doc_id: str
    title: str
    date: str | None
    quote: str  # verbatim span of the document's text
    score: float
    file: str = ""  # the document's file name in the corpus folder
    page: int | None = None  # the page the quote starts on (paged documents: PDF)
    section: str | None = None  # the heading of the section the quote is in, where the document has headings

    @property
    def where(self) -> str:
        """Where the quote is, for people: "manual.pdf, p. 12, “Installing”" (parts it has)."""
        parts = [self.file] if self.file else []
        parts += [f"p. {self.page}"] if self.page else []
        parts += [f"“{self.section}”"] if self.section else []
        return ", ".join(parts)


@dataclass
class Answer:
    """What the assistant says: ``text`` with markers [1].., the ``citations`` behind them, ``abstained``."""

    text: str
    citations: list[Citation]
    abstained: bool
    question: str = ""
    standalone_question: str = ""
    sources: list[dict] = field(default_factory=list)  # closest documents, also when abstaining
    passages: list[dict] = field(default_factory=list)  # the retrieved chunks the answer drew on
    removed: list[tuple[str, str]] = field(default_factory=list)  # what the guard and judge dropped, and why
    seconds: float = 0.0
    status: str = ""  # what a partial answer is waiting for ("checking 5 passages"), for UIs
    notice: str = ""  # said after the answer, e.g. that the question was cut
    kind: str = ""  # what the pipeline took the question for: factoid, open, yes/no, comparison, catalog
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, in the order they ran
    judge_tokens: int = 0  # prompt tokens the judge evaluated to decide which units answer

    def to_dict(self) -> dict:
        """The public JSON shape: ``{"text", "citations": [...], "abstained"}``."""
        return {"text": self.text, "citations": [asdict(c) for c in self.citations], "abstained": self.abstained}


@contextlib.contextmanager
def timed(timings: dict[str, float], stage: str):
    """Adds the seconds the block takes to ``timings[stage]`` (an ``Answer.timings``)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


ABSTAIN_TEXT = "The documents don't say."


ATTRIBUTION_TITLE_CHARS = 60  # a longer title is a first sentence or a blurb, not a name to say in a sentence
_VERDICT = re.compile(r"^(Yes|No)\b\s*[—–-]")
# The lead-in ``attribution`` writes, for readers of answer text (the eval strips it to get the claim).
ATTRIBUTION = re.compile(r"According to (?:“[^”]{1,%d}”|a document dated \d{4}-\d{2}-\d{2}|one source):\s*"
                         % ATTRIBUTION_TITLE_CHARS)


def attribution(checked: CheckedSentence, passages: list[Chunk], named: set[str]) -> str:
    """'According to “Title”: ' before the first sentence an answer takes from a document that no other
    cited document backs, so a claim made in one place reads as that source's, not as settled fact.
    Later sentences from the same document follow on without it."""
    docs = {passages[s.passage - 1].doc_id for s in checked.supports}
    if len(docs) != 1 or _VERDICT.match(checked.text):
        named |= docs
        return ""
    doc_id = docs.pop()
    if doc_id in named:
        return ""
    named.add(doc_id)
    return f"According to {source_name(passages[checked.supports[0].passage - 1])}: "


def source_name(chunk: Chunk) -> str:
    """A short name for a chunk's document in running text: the document's headline when it has a short
    one (a title made from a first sentence is not), else its date, else "one source" (the marker names
    it in full). The document's, not the story's: in a paper, the story titles are section headings."""
    title = re.sub(r"\s+", " ", chunk.doc_title or "").strip()
    if len(title) <= ATTRIBUTION_TITLE_CHARS and re.search(r"[^\W\d_]{2}", title):
        return f"“{title}”"
    return f"a document dated {chunk.date}" if chunk.date else "one source"


def render(base: Answer, kept: list[CheckedSentence], passages: list[Chunk], started: float, final: bool,
           attribute: bool = False) -> Answer:
    """The answer text with markers numbered in order of first use; repeated sentences shown once.
    With ``attribute``, claims from a single source are attributed to it (see ``attribution``)."""
    citations: list[Citation] = []
    by_span: dict[tuple[str, int, int], int] = {}
    sentences = []
    seen_text: set[str] = set()
    named: set[str] = set()
    for checked in kept:
        key_text = normalize(checked.text).lower()
        if key_text in seen_text:
            continue
        seen_text.add(key_text)
        lead_in = attribution(checked, passages, named) if attribute else ""
        markers = []
        for sup in checked.supports:
            chunk = passages[sup.passage - 1]
            key = (chunk.doc_id, sup.start, sup.end)
            if key not in by_span:
                by_span[key] = len(citations) + 1
                citations.append(Citation(by_span[key], chunk.doc_id, chunk.title, chunk.date, sup.quote,
                                          round(max(sup.score, 0.001), 3), chunk.file, chunk.page_at(sup.start),
                                          section_of(chunk, sup.start)))
            if by_span[key] not in markers:
                markers.append(by_span[key])
        sentences.append(lead_in + with_markers(checked.text, markers))
    text = " ".join(sentences + ([base.notice] if final and base.notice else []))
    return Answer(text, citations, False, base.question, base.standalone_question,
                  base.sources, base.passages, list(base.removed),
                  time.perf_counter() - started if final else 0.0, notice=base.notice, kind=base.kind,
                  timings=dict(base.timings), judge_tokens=base.judge_tokens)


def section_of(chunk: Chunk, offset: int) -> str | None:
    """The heading of the section holding ``offset``, unless it is the title the citation shows already."""
    heading = chunk.section_at(offset)
    return heading if heading and heading not in (chunk.title, chunk.doc_title) else None


def abstain(base: Answer, started: float) -> Answer:
    """"The documents don't say." and the closest sources (title, id, date), no citations."""
    closest = "; ".join(
        f"“{s['title']}” ({s['doc_id']}{', ' + s['date'] if s.get('date') else ''})" for s in base.sources[:3]
    )
    text = ABSTAIN_TEXT + (f" The closest sources are: {closest}." if closest else "")
    text += f" {base.notice}" if base.notice else ""
    return Answer(text, [], True, base.question, base.standalone_question, base.sources, base.passages,
                  list(base.removed), time.perf_counter() - started, notice=base.notice, kind=base.kind,
                  timings=dict(base.timings), judge_tokens=base.judge_tokens)


def sources_of(hits: list[ScoredChunk]) -> list[dict]:
    out, seen = [], set()
    for h in hits:
        if h.chunk.doc_id not in seen:
            seen.add(h.chunk.doc_id)
            out.append({"doc_id": h.chunk.doc_id, "title": h.chunk.title, "date": h.chunk.date,
                        "file": h.chunk.file, "score": round(h.score, 4)})
    return out


def passages_of(chunks: list[Chunk]) -> list[dict]:
    return [{"doc_id": c.doc_id, "title": c.title, "date": c.date, "text": c.text, "start": c.start,
             "end": c.end} for c in chunks]


def as_sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"”’'" else text + "."


def with_markers(sentence: str, markers: list[int]) -> str:
    tags = "".join(f"[{m}]" for m in markers)
    match = re.search(r"([.!?][\"”’']?)$", sentence)
    if match:
        return f"{sentence[: match.start()]} {tags}{match.group(1)}"
    return f"{sentence} {tags}."
