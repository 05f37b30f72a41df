"""From retrieved chunks to a cited answer.

Two ways to write the draft, one gate for both:

* ``local`` backend (the default): the answer is composed from the evidence sentences themselves,
  ranked against the question (rare question words found, embedding similarity, the answer type a
  "when / where / how many" question wants, whether the person asked about is the speaker, whether
  the sentence corrects a false premise), near-duplicates removed, at most ``MAX_EVIDENCE`` of them.
  Optionally (``use_llm_lead``, off by default) the bundled model writes a one-sentence yes/no lead,
  kept only if it passes the guard and its yes/no agrees with the evidence. Measured on this corpus,
  the 0.5B model alone writes a faithful sentence too rarely to be trusted with more.
* remote backends (OpenAI / OpenAI-compatible): the model writes the whole draft from the numbered
  passages (``prompts/answer.txt``).

Every draft sentence then passes the citation guard (``rag.guard``); if none survives, or retrieval
found nothing relevant, the answer abstains and names the closest sources. Questions about the corpus
as a whole (dates, overview) are answered from document metadata instead (``rag.catalog``).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .catalog import CatalogQuery, catalog_answer, catalog_query, opening_chunks, opening_sentence
from .conversation import History, model_standalone_question, standalone_question
from .guard import (CheckedSentence, GuardReport, Support, best_support, check_answer, negation_scope, split_cited_sentences)
from .llm import Generator
from .retrieval import HybridRetriever, LexicalIndex, ScoredChunk, passes_filters
from .settings import PROJECT_ROOT, Settings
from .store import Chunk
from .text import content_stems, normalize, sentence_spans, stem, stem_in, words

MAX_EVIDENCE = 3
SENTENCE_CACHE = 20_000  # sentence vectors kept between questions (384 floats each: about 30 MB)
_KEEP = 0.6  # a further sentence must score at least this share of the best one ...
_KEEP_CONTINUATION = 0.5  # ... or this share when it continues the best one's paragraph
# Abstain when the best evidence covers less than this share of the question's (rarity-weighted) words.
MIN_COVERAGE = 0.5
# ... unless the question is paraphrased: then some words (this share) and a close meaning (this
# cosine between question and best sentence) are enough. Measured on the gold set: out-of-corpus
# questions stay below one or the other (or name something the corpus never mentions).
MIN_COVERAGE_PARAPHRASE, MIN_SIMILARITY_PARAPHRASE = 0.3, 0.5
# Words that ask about the corpus itself rather than its content.
_QUESTION_NOISE = {stem(w) for w in (
    "article articles report reported mention mentioned passage passages source sources text document happen "
    "publish published done make made call called"
).split()}
# What kind of answer a wh-question wants, and a pattern that marks a sentence offering one.
_ANSWER_TYPES = [
    (re.compile(r"^\s*when\b|\bwhat (date|day|year|month)\b", re.I),
     re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
                r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|\d{4})\b")),
    (re.compile(r"^\s*where\b|\bin which (city|country|place)\b", re.I),
     re.compile(r"\b(at|in|held|opened in)\s+(the\s+)?[A-Z]")),
    (re.compile(r"^\s*(who|whom)\b", re.I),
     re.compile(r"\b(president|spokes(man|woman|person)|professor|minister|ambassador|representative|official|"
                r"director|researcher|[A-Z][a-z]+ [A-Z][a-z]+,)", re.I)),
    (re.compile(r"^\s*how (many|much)\b", re.I), re.compile(r"\d")),
]
# Answer types a sentence must offer to answer at all: a "where" question is not answered by a
# sentence that names no place (the "who" pattern above is too loose to demand).
_STRICT_TYPES = 3
# "What did X say / call / claim ...?": the sentence should be one where X speaks.
_ASKS_SPEECH = re.compile(r"\b(say|said|says|tell|told|call|called|claim\w*|describ\w*|think|believ\w*|respond\w*|"
                          r"react\w*|remark\w*|comment\w*|warn\w*|stress\w*|mean|argu\w*|add|added)\b", re.I)
_REPORTING = re.compile(r"\b(said|says|say|told|tells|added|stressed|noted|warned|claimed|argued|explained|"
                        r"according to|remarks?|statement)\b", re.I)
_PRONOUN_REPORTING = re.compile(r"\b(he|she|they)\s+(said|says|told|added|stressed|noted|warned|explained)\b", re.I)
# Roles a question may ask to hear from, and the words that name someone in that role.
# (Stems make "official" and "officials" one key; words naming the same role share a group.)
_OFFICIALS = "official spokesman spokeswoman spokesperson ministry minister ambassador"
_RESEARCHERS = "researcher scientist academy professor"
_ROLES = {stem(role): {stem(w) for w in holders.split()} for role, holders in {
    "official": _OFFICIALS, "researcher": _RESEARCHERS, "scientist": _RESEARCHERS,
    "expert": "expert professor researcher analyst",
}.items()}
_WHY = re.compile(r"^\s*why\b", re.I)
_YES_NO = re.compile(r"^\s*(did|does|do|is|are|was|were|has|have|had|can|could|will|would|should)\b", re.IGNORECASE)
_PUBLISHED_WHEN = re.compile(r"\bwhen\b.*\b(published|written|dated|posted|appear)|\bwhat is the date of\b", re.I)


@dataclass
class Citation:
    marker: int
    doc_id: str
    title: str
    date: str | None
    quote: str
    score: float


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
    removed: list[tuple[str, str]] = field(default_factory=list)  # what the guard dropped, and why
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The public JSON shape: ``{"text", "citations": [...], "abstained"}``."""
        return {"text": self.text, "citations": [asdict(c) for c in self.citations], "abstained": self.abstained}


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, or not text)."""


@dataclass
class Evidence:
    passage: int  # 1-based index into the passages
    text: str
    score: float
    coverage: float
    position: int = 0  # sentence number within its chunk
    corrects: bool = False  # negates a word the question takes for granted ("did not deny")
    similarity: float = 0.0  # cosine between the sentence and the question


class Prompts:
    """The prompt files of ``prompts/``."""

    def __init__(self, folder: Path = PROJECT_ROOT / "prompts"):
        self.folder = folder

    def __getitem__(self, name: str) -> str:
        return (self.folder / f"{name}.txt").read_text(encoding="utf-8").strip()


def clean_question(question: str, settings: Settings) -> tuple[str, bool]:
    """The question stripped and cut to ``max_question_chars``; raises QuestionError if it is empty."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    question = re.sub(r"\s+", " ", question).strip()
    if not question:
        raise QuestionError("the question is empty: ask something about the articles")
    if len(question) > settings.max_question_chars:
        cut = question[: settings.max_question_chars].rsplit(" ", 1)[0]
        return cut, True
    return question, False


class AnswerEngine:
    """Retrieval, drafting and the citation guard for one question at a time."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, lexical: LexicalIndex,
                 embed, generator_factory, prompts: Prompts | None = None):
        self.settings = settings
        self.retriever = retriever
        self.lexical = lexical
        self.embed = embed  # list[str] -> np.ndarray of unit vectors
        self._generator_factory = generator_factory
        self._generator: Generator | None = None
        self.prompts = prompts or Prompts()
        self._sentence_vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # LRU, SENTENCE_CACHE entries
        self._cache_lock = threading.Lock()  # the app answers several users at once

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._generator_factory()
        return self._generator

    # --- the pipeline ------------------------------------------------------------------------

    def answer_stream(self, question: str, history: History | None = None) -> Iterator[Answer]:
        """Partial answers as verified sentences arrive; the last one is complete."""
        started = time.perf_counter()
        question, truncated = clean_question(question, self.settings)
        standalone = self._standalone(question, history)
        catalog = catalog_query(standalone)
        if catalog is not None:
            yield self._catalog_answer(catalog, question, standalone, started)
            return
        hits = self.retriever.search(standalone)
        passages = [h.chunk for h in hits]
        sources = _sources(hits)
        base = Answer("", [], False, question, standalone, sources, _passages(hits))
        if truncated:
            base.removed.append(("(question)", f"truncated to {self.settings.max_question_chars} characters"))

        evidence = self.select_evidence(standalone, hits)
        if not self._answerable(standalone, evidence):
            yield self._abstain(base, started)
            return

        if self.settings.backend == "local":
            sentences = self._compose_local(standalone, evidence, passages, base)
        else:
            sentences = self._compose_remote(standalone, passages, base)

        kept: list[CheckedSentence] = []
        for checked in sentences:
            kept.append(checked)
            yield self._render(base, kept, passages, started, final=False)
        if not kept:
            yield self._abstain(base, started)
            return
        yield self._render(base, kept, passages, started, final=True)

    def _catalog_answer(self, query: CatalogQuery, question: str, standalone: str, started: float) -> Answer:
        """A corpus-level date question, answered from the documents' metadata (see rag.catalog)."""
        # Cited as whole articles: the citation carries the article's title, not its first story's.
        openings = [c for c in opening_chunks(self.lexical.chunks, per_story=query.kind == "overview")
                    if passes_filters(c, self.settings)]
        chunks = [dataclasses.replace(c, title=c.doc_title) for c in openings]
        base = Answer("", [], False, question, standalone,
                      [{"doc_id": c.doc_id, "title": c.doc_title, "date": c.date, "score": 1.0} for c in chunks],
                      [{"doc_id": c.doc_id, "title": c.title, "date": c.date, "text": c.text, "start": c.start,
                        "end": c.end} for c in chunks])
        kept = []
        sentences = catalog_answer(query, openings)
        # Sources in the order the answer names them (the answer's article first).
        order = list(dict.fromkeys(i for _, cited in sentences for i in cited))
        base.sources = [base.sources[i - 1] for i in order]
        for sentence, cited in sentences:
            supports = []
            for i in cited:
                quote, start, end = opening_sentence(openings[i - 1])
                supports.append(Support(i, quote, start, end, 1.0))
            kept.append(CheckedSentence(sentence, supports))
        if not kept:
            return self._abstain(base, started)
        return self._render(base, kept, chunks, started, final=True)

    def _standalone(self, question: str, history: History | None) -> str:
        """The follow-up made standalone: by the remote model when there is one, else deterministically."""
        if history and self.settings.backend != "local":
            rewritten = model_standalone_question(question, history, self.generator, self.prompts["rewrite"])
            if rewritten:
                return rewritten
        return standalone_question(question, history)

    def answer(self, question: str, history: History | None = None) -> Answer:
        final = None
        for final in self.answer_stream(question, history):
            pass
        return final

    # --- evidence ----------------------------------------------------------------------------

    def question_stems(self, question: str) -> list[str]:
        return [s for s in dict.fromkeys(content_stems(question)) if s not in _QUESTION_NOISE]

    def coverage(self, q_stems: list[str], text: str, roles: bool = False) -> float:
        if not q_stems:
            return 0.0
        found = set(content_stems(text))
        total = sum(self.lexical.idf(s) for s in q_stems)
        # A role word is found when someone holding the role is named ("officials" <- "spokesman").
        hit = [s for s in q_stems if stem_in(s, found) or (roles and _ROLES.get(s, set()) & found)]
        return sum(self.lexical.idf(s) for s in hit) / total if total else 0.0

    def select_evidence(self, question: str, hits: list[ScoredChunk]) -> list[Evidence]:
        """The best evidence sentences of the retrieved chunks, best first, without near-duplicates."""
        return self.choose_evidence(question, self.score_sentences(question, hits))

    def score_sentences(self, question: str, hits: list[ScoredChunk]) -> list[Evidence]:
        """Every sentence of the retrieved chunks scored against the question, best first.

        A sentence scores by the share of the (rarity-weighted) question words it contains, its
        embedding similarity to the question, and whether it offers the kind of answer asked for
        (a date for "when", a number for "how many" ...). ``coverage`` counts the sentence with its
        neighbours, so an attribution in the next sentence ("..., he said") still counts.
        """
        q_stems = self.question_stems(question)
        wanted = [(n < _STRICT_TYPES, pattern) for n, (asks, pattern) in enumerate(_ANSWER_TYPES) if asks.search(question)]
        speakers = self._asked_speakers(question)
        premise = set(q_stems) if (_WHY.match(question) or _YES_NO.match(question)) else set()
        candidates: list[tuple[int, str, str, int]] = []  # (passage, sentence, with neighbours, position)
        seen: set[str] = set()
        for i, hit in enumerate(hits, 1):
            spans = sentence_spans(hit.chunk.text)
            for j, (s, e) in enumerate(spans):
                text = hit.chunk.text[s:e]
                key = normalize(text)
                # A question in an article (a headline asking "...?") asserts nothing: no evidence.
                if key in seen or len(words(text)) < 3 or text.rstrip().endswith("?"):
                    continue
                seen.add(key)
                # Three sentences back: the speaker is often named a few sentences before the quote.
                window = hit.chunk.text[spans[max(j - 3, 0)][0] : spans[min(j + 1, len(spans) - 1)][1]]
                candidates.append((i, text, window, j))
        if not candidates:
            return []
        q_vec = self.embed([question])[0]
        vectors = self._vectors([c[1] for c in candidates])
        scored = []
        for (passage, text, window, position), vec in zip(candidates, vectors):
            cov = self.coverage(q_stems, text, roles=bool(speakers))
            window_cov = self.coverage(q_stems, window, roles=bool(speakers))
            similarity = float(vec @ q_vec)
            bonus = 0.05 * (len(hits) - passage) / max(len(hits), 1)
            offers = [p.search(text) is not None for _, p in wanted]
            if any(offers):
                bonus += 0.08
            if speakers and _speaks(speakers, text, window):
                bonus += 0.12
            elif speakers and _continues_speech(speakers, text, window):
                bonus += 0.06
            # A sentence that negates what a why- or yes/no question takes for granted ("declined to ...
            # impose sanctions", "did not deny") is the correction the reader needs.
            corrects = bool(premise) and any(stem_in(s, premise) for s in negation_scope(text))
            if corrects:
                bonus += 0.08
            score = 0.4 * cov + 0.15 * window_cov + 0.45 * similarity + bonus
            if any(strict for strict, _ in wanted) and not any(offers):
                score *= 0.75
            scored.append(Evidence(passage, text, score, max(cov, window_cov), position, corrects, similarity))
        scored.sort(key=lambda e: -e.score)
        return scored

    def choose_evidence(self, question: str, scored: list[Evidence]) -> list[Evidence]:
        """Up to ``MAX_EVIDENCE`` of the scored sentences: the best, and those that add to it."""
        if not scored:
            return []
        q_stems = self.question_stems(question)
        chosen = [scored[0]]
        covered = {s for s in q_stems if stem_in(s, set(content_stems(scored[0].text)))}
        total = sum(self.lexical.idf(s) for s in q_stems) or 1.0
        for ev in scored[1:]:
            if len(chosen) >= MAX_EVIDENCE:
                break
            if ev.score < _KEEP_CONTINUATION * scored[0].score:
                continue
            stems = set(content_stems(ev.text))
            if any(_jaccard(stems, set(content_stems(c.text))) > 0.45 for c in chosen):
                continue
            adds = {s for s in q_stems if stem_in(s, stems)} - covered
            adds_weight = sum(self.lexical.idf(s) for s in adds) / total
            # What the best sentence's speaker goes on to say ("..., he said") belongs to the answer.
            continues = ev.coverage >= 0.8 and any(
                c.passage == ev.passage and 0 < ev.position - c.position <= 3 for c in chosen)
            if (ev.score >= 0.85 * scored[0].score or continues
                    or ((adds_weight >= 0.2 or ev.corrects) and ev.score >= _KEEP * scored[0].score)):
                chosen.append(ev)
                covered |= adds
        return chosen

    def _answerable(self, question: str, evidence: list[Evidence]) -> bool:
        """Whether the evidence answers the question at all (else the answer abstains)."""
        if not evidence or self._unknown_names(question, evidence):
            return False
        coverage = max(e.coverage for e in evidence)
        if coverage >= MIN_COVERAGE:
            return True
        return coverage >= MIN_COVERAGE_PARAPHRASE and max(e.similarity for e in evidence) >= MIN_SIMILARITY_PARAPHRASE

    def _asked_speakers(self, question: str) -> set[str]:
        """Stems of the rare capitalised words of a "what did X say"-style question (X's name)."""
        if not _ASKS_SPEECH.search(question):
            return set()
        n = max(len(self.lexical.chunks), 1)
        # "How did officials respond to Sergeev's claim?": Sergeev is what they answer, not a speaker.
        answered = re.search(r"\b(respond|react|repl(y|ied)|answer)\w*\s+to\b", question, re.IGNORECASE)
        if answered:
            question = question[: answered.start()]
        names = {stem(w) for w in re.findall(r"\b[A-Z][a-z]+", question)[1:]}
        # Countries and demonyms are capitalised too, but occur in most chunks: a name is rare.
        speakers = {s for s in names if self.lexical.doc_freq.get(s, 0) / n < 0.3 and s not in _QUESTION_NOISE}
        # "How did officials respond?": a role stands for everyone who holds it ("spokesman", "ministry").
        for word in words(question):
            speakers |= _ROLES.get(stem(word), set())
        return speakers

    def _unknown_names(self, question: str, evidence: list[Evidence]) -> bool:
        """A name in the question that neither the evidence nor the corpus knows (e.g. "Nobel")."""
        known = set(self.lexical.vocabulary)
        for ev in evidence:
            known |= set(content_stems(ev.text))
        names = {stem(w) for w in re.findall(r"\b[A-Z][a-z]+", question)[1:]}
        return any(n not in known and n not in _QUESTION_NOISE for n in names)

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        cache = self._sentence_vectors
        with self._cache_lock:
            found = {t: cache[t] for t in texts if t in cache}
            for t in found:
                cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embed(missing)))
            with self._cache_lock:
                cache.update((t, found[t]) for t in missing)
                while len(cache) > SENTENCE_CACHE:
                    cache.popitem(last=False)
        return [found[t] for t in texts]

    # --- drafting ----------------------------------------------------------------------------

    def _date_lead(self, question: str, evidence: list[Evidence], passages: list[Chunk]) -> CheckedSentence | None:
        """"When was the article ... published?": the date comes from the cited article's metadata.

        The best evidence sentence from a dated article decides (undated pages have nothing to say).
        """
        if not _PUBLISHED_WHEN.search(question):
            return None
        dated = [ev for ev in evidence if passages[ev.passage - 1].date]
        if not dated:
            return None
        best = dated[0]
        chunk = passages[best.passage - 1]
        start = chunk.start + chunk.text.find(best.text)
        support = Support(best.passage, best.text, start, start + len(best.text), 1.0)
        # The title goes in without its own full stop, so the lead stays one sentence.
        title = chunk.doc_title.rstrip(" .")
        return CheckedSentence(f"The article “{title}” is dated {chunk.date}.", [support])

    def _compose_local(self, question: str, evidence: list[Evidence], passages: list[Chunk],
                       base: Answer) -> Iterator[CheckedSentence]:
        dated = self._date_lead(question, evidence, passages)
        if dated is not None:
            yield dated
        if self.settings.use_llm_lead and _YES_NO.match(question) and not re.search(r"\bor\b", question):
            lead = self._yes_no_lead(question, evidence, passages, base)
            if lead is not None:
                yield lead
        for ev in evidence:  # one at a time, so one sentence's split cannot uncite another
            yield from self._guard(f"{_as_sentence(ev.text)} [{ev.passage}]", passages, base)

    def _yes_no_lead(self, question: str, evidence: list[Evidence], passages: list[Chunk],
                     base: Answer) -> CheckedSentence | None:
        """A one-sentence "Yes, ..." / "No, ..." written by the model; None unless it checks out."""
        shown = evidence[:2]
        numbered = "\n".join(f"[{n}] {ev.text}" for n, ev in enumerate(shown, 1))
        messages = [
            {"role": "system", "content": self.prompts["lead"]},
            {"role": "user", "content": self.prompts["question"].format(passages=numbered, question=question)},
        ]
        draft = self.generator.complete(messages, max_tokens=48).strip()
        match = re.match(r"^\s*(yes|no)\b", draft, re.IGNORECASE)
        if not match or "NOT FOUND" in draft.upper():
            return None
        # The model numbered its own short list; map its markers back to the passages.
        remap = {str(n): str(ev.passage) for n, ev in enumerate(shown, 1)}
        draft = re.sub(r"\[(\d+)\]", lambda m: f"[{remap.get(m.group(1), '0')}]", draft)
        parts = split_cited_sentences(draft)
        if not parts:
            return None
        sentence, markers = parts[0]
        if not markers:
            sentence, markers = sentence, [shown[0].passage]
        q_stems = set(self.question_stems(question))
        says_no = match.group(1).lower() == "no"
        claim = re.sub(r"^\s*(yes|no)\b[\s,.;:—–-]*", "", sentence, flags=re.IGNORECASE)
        cited = [passages[m - 1] for m in markers if 0 < m <= len(passages)]
        if not cited:
            return None
        # The yes/no must agree with the evidence: "No" needs the cited evidence to negate a question
        # word ("did not deny"), "Yes" needs it not to ("had not received an order to stop working").
        evidence_says_no = any(negation_scope(ev.text) & q_stems for ev in shown)
        claim_says_no = bool(negation_scope(claim) & q_stems)
        if says_no != evidence_says_no or says_no != claim_says_no:
            base.removed.append((sentence, "yes/no lead disagrees with the evidence"))
            return None
        # Question words may be restated, but the lead must also stand on the evidence by itself.
        on_its_own = max(best_support(claim, m, passages[m - 1], self.lexical.idf).score
                         for m in markers if 0 < m <= len(passages))
        if on_its_own < 0.5:
            base.removed.append((sentence, "yes/no lead not supported by the cited passage"))
            return None
        report = check_answer(f"{sentence} " + "".join(f"[{m}]" for m in markers), passages,
                              self.lexical.idf, given=q_stems)
        base.removed.extend(report.removed)
        return report.kept[0] if report.kept else None

    def _compose_remote(self, question: str, passages: list[Chunk], base: Answer) -> Iterator[CheckedSentence]:
        numbered = "\n\n".join(
            f"[{i}] ({c.title}{', ' + c.date if c.date else ''}) {c.text}" for i, c in enumerate(passages, 1)
        )
        messages = [
            {"role": "system", "content": self.prompts["answer"]},
            {"role": "user", "content": self.prompts["question"].format(passages=numbered, question=question)},
        ]
        buffer = ""
        for piece in self.generator.stream(messages, max_tokens=400):
            buffer += piece
            # Check each sentence as soon as the next one has begun.
            parts = re.split(r"(?<=[.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[A-Z\"“])", buffer)
            if len(parts) >= 4:
                done = "".join(parts[:-1])
                buffer = parts[-1]
                if "NOT FOUND" not in done.upper():
                    yield from self._guard(done, passages, base)
        if buffer.strip() and "NOT FOUND" not in buffer.upper():
            yield from self._guard(buffer, passages, base)

    def _guard(self, draft: str, passages: list[Chunk], base: Answer) -> Iterator[CheckedSentence]:
        report: GuardReport = check_answer(draft, passages, self.lexical.idf)
        base.removed.extend(report.removed)
        yield from report.kept

    # --- output ------------------------------------------------------------------------------

    def _render(self, base: Answer, kept: list[CheckedSentence], passages: list[Chunk], started: float,
                final: bool) -> Answer:
        citations: list[Citation] = []
        by_span: dict[tuple[str, int, int], int] = {}
        sentences = []
        seen_text: set[str] = set()
        for checked in kept:
            if normalize(checked.text).lower() in seen_text:
                continue
            seen_text.add(normalize(checked.text).lower())
            markers = []
            for sup in checked.supports:
                chunk = passages[sup.passage - 1]
                key = (chunk.doc_id, sup.start, sup.end)
                if key not in by_span:
                    by_span[key] = len(citations) + 1
                    citations.append(Citation(by_span[key], chunk.doc_id, chunk.title, chunk.date,
                                              sup.quote, round(sup.score, 3)))
                if by_span[key] not in markers:
                    markers.append(by_span[key])
            sentences.append(_with_markers(checked.text, markers))
        return Answer(" ".join(sentences), citations, False, base.question, base.standalone_question,
                      base.sources, base.passages, list(base.removed),
                      time.perf_counter() - started if final else 0.0)

    def _abstain(self, base: Answer, started: float) -> Answer:
        closest = "; ".join(
            f"“{s['title']}” ({s['doc_id']}{', ' + s['date'] if s.get('date') else ''})" for s in base.sources[:3]
        )
        text = "The articles don't say."
        if closest:
            text += f" The closest sources are: {closest}."
        return Answer(text, [], True, base.question, base.standalone_question, base.sources, base.passages,
                      list(base.removed), time.perf_counter() - started)


def _speaks(names: set[str], sentence: str, window: str) -> bool:
    """Whether one of ``names`` is the speaker of ``sentence`` ("X said", "said X", "..., he said")."""
    tokens = words(sentence)
    stems = [stem(t) for t in tokens]
    for i, s in enumerate(stems):
        if s in names:
            nearby = " ".join(tokens[max(i - 8, 0): i + 9])
            if _REPORTING.search(nearby):
                return True
    return bool(_PRONOUN_REPORTING.search(sentence)) and bool(names & set(content_stems(window)))


def _continues_speech(names: set[str], sentence: str, window: str) -> bool:
    """A sentence with no speaker of its own, right after one of ``names`` spoke (reported speech goes on)."""
    if _REPORTING.search(sentence) or _PRONOUN_REPORTING.search(sentence):
        return False
    before = window[: window.find(sentence)] if sentence in window else ""
    return bool(before) and _speaks(names, before, before)


def _sources(hits: list[ScoredChunk]) -> list[dict]:
    out, seen = [], set()
    for h in hits:
        if h.chunk.doc_id not in seen:
            seen.add(h.chunk.doc_id)
            out.append({"doc_id": h.chunk.doc_id, "title": h.chunk.title, "date": h.chunk.date,
                        "score": round(h.score, 4)})
    return out


def _passages(hits: list[ScoredChunk]) -> list[dict]:
    return [{"doc_id": h.chunk.doc_id, "title": h.chunk.title, "date": h.chunk.date, "text": h.chunk.text,
             "start": h.chunk.start, "end": h.chunk.end} for h in hits]


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"”’'" else text + "."


def _with_markers(sentence: str, markers: list[int]) -> str:
    tags = "".join(f"[{m}]" for m in markers)
    match = re.search(r"([.!?][\"”’']?)$", sentence)
    if match:
        return f"{sentence[: match.start()]} {tags}{match.group(1)}"
    return f"{sentence} {tags}."


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
