"""The answer pipeline: one stage per job, one seam per stage (as llama-index-core's retriever ->
node postprocessors -> response synthesizer).

    route      corpus-level questions ("Which article came first?") go to the catalog (rag.answer.catalog)
    retrieve   hybrid dense + BM25 chunks (rag.answer.retrieval)
    widen      each chunk completed at its edges from its neighbours (rag.answer.widen)
    rank       candidate units scored by named features (rag.answer.evidence)
    postprocess  a list of steps, each returning what it kept and removed (rag.answer.postprocess):
               judge    the bundled model reads the best units, the selection keeps those that state the
                        answer (rag.answer.presence, rag.answer.selection; off when ``fast``)
               expand   the units chosen for the answer, grown over their paragraph (rag.answer.expand)
    (the judge's verdicts on text giving orders to an AI keep it out of the units: rag.answer.injection)
    compose    a composer chosen from the settings: extractive sentences after a direct lead, or a model's
               draft (rag.answer.composers)
    guard      every model-written sentence checked against its quote (rag.answer.guard)
    render     markers, citations, or an abstention naming the closest sources (rag.answer.render)

Every stage is a constructor argument or a small method: a test (or a new reranker) replaces one through its seam.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Iterator

import numpy as np

from ..index.lexical import LexicalIndex
from ..index.store import Chunk
from ..models.judge import ENTAILED, Judge
from ..models.llm import Generator
from ..prompts import Prompts
from ..settings import Settings
from .catalog import CatalogQuery, catalog_query, catalog_route
from .compare import compare, comparison_topic, sides
from .composers import COMPOSERS, Composer, ExtractiveComposer, ModelComposer, composer_name
from .conversation import History, model_standalone_question, standalone_question
from .directives import strip_directives
from .evidence import RankContext, rank
from .guard import CheckedSentence, check_answer
from .injection import InjectionScreen, injected_spans, kept_out, screened
from .postprocess import ChooseAndExpand, JudgeFilter, Postprocessor
from .query import Query
from .question import (
    QUESTION_NOISE,
    QuestionProfile,
    clean_question,
    profile_question,
    question_kind,
    unknown_names,
)
from .render import Answer, abstain, passages_of, render, sources_of, timed
from .retrieval import HybridRetriever, within_filters
from .rules import Rules
from .selection import selector_for
from .units import Evidence, candidate_units
from .vectors import UnitVectors
from .widen import widen

# Without the judge (``fast``, yes/no), abstain when the best unit covers less than this share of the question's
# rarity-weighted words, unless the question is paraphrased: then some words and a close meaning are enough.
MIN_COVERAGE, MIN_COVERAGE_PARAPHRASE, MIN_SIMILARITY_PARAPHRASE = 0.5, 0.3, 0.5


@dataclasses.dataclass
class Candidates:
    """What the pipeline knows before the judge: the question understood (``query``), the ranked units of the
    retrieved passages, and the answer's frame (sources, passages, what was not followed)."""

    query: Query
    units: list[Evidence]
    passages: list[Chunk]
    base: Answer
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # seconds per stage so far


class AnswerPipeline:
    """From a question (and the chat so far) to a cited ``Answer``, streamed as sentences pass."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, lexical: LexicalIndex,
                 embed: Callable[[list[str]], np.ndarray], generator_factory: Callable[[], Generator],
                 judge_factory: Callable[[], Judge] | None = None, prompts: Prompts | None = None):
        self.settings = settings
        self.retriever = retriever
        self.lexical = lexical
        self.embed = embed  # list[str] -> unit vectors
        self.prompts = prompts or Prompts()
        self._generator_factory = generator_factory
        self._judge_factory = judge_factory
        self._generator: Generator | None = None
        self._judge: Judge | None = None
        self.unit_vectors = UnitVectors(lexical, embed)
        self.rules = Rules(frozenset(settings.rules_off))  # the hand rules in force (rag.answer.rules)
        self.noise = QUESTION_NOISE if self.rules.on("question_noise") else frozenset()

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._generator_factory()
        return self._generator

    @property
    def judge(self) -> Judge | None:
        """The learned judge, or None when ``fast`` is set or no judge was given."""
        if self.settings.fast or self._judge_factory is None:
            return None
        if self._judge is None:
            self._judge = self._judge_factory()
        return self._judge

    def answer(self, question: str, history: History | None = None) -> Answer:
        *_, final = self.answer_stream(question, history)
        return final

    def answer_stream(self, question: str, history: History | None = None) -> Iterator[Answer]:
        """Partial answers as checked sentences arrive; the last one is complete. Each carries the seconds
        its stages took so far (``Answer.timings``: the time spent waiting on the caller is not counted)."""
        started = time.perf_counter()
        c = self.candidates(question, history)
        query = c.query
        if query.route == "catalog":
            with timed(c.timings, "catalog"):
                answer = self.catalog(query.catalog, query.question, query.standalone, started)
            yield dataclasses.replace(answer, kind="catalog", timings=c.timings)
            return
        q, units, ranked, passages, base = query.profile, c.units, c.units, c.passages, c.base
        base.timings, base.kind = c.timings, question_kind(q, query.topic)
        if why := self.implausible(q, units):
            base.removed.append(("(the question)", f"not plausible: {why}"))
            yield abstain(base, started)
            return
        if query.route == "compare":
            with timed(base.timings, "compare"):
                answer = self.compared(query.standalone, units, passages, base, started)
            yield dataclasses.replace(answer, timings=dict(base.timings))
            return
        for step in self.postprocessors(q):
            work = step.process(c, units)
            while True:  # a status after each piece of work: a stream whose client has gone is closed there
                try:
                    with timed(base.timings, step.name):
                        status = next(work)
                except StopIteration as finished:
                    units = finished.value.units
                    base.removed += finished.value.removed
                    break
                yield dataclasses.replace(base, status=status)
        base.judge_tokens = sum(u.judge_tokens for u in ranked)  # (a unit never judged cost none)
        if not units:
            yield abstain(base, started)
            return
        kept: list[CheckedSentence] = []
        sentences = self.composer.compose(q, units, passages, base.removed)
        while True:
            try:
                with timed(base.timings, "compose"):
                    checked = next(sentences)
            except StopIteration:
                break
            kept.append(checked)
            yield render(base, kept, passages, started, final=False, attribute=self.settings.attribute)
        yield (render(base, kept, passages, started, final=True, attribute=self.settings.attribute) if kept
               else abstain(base, started))

    def understand(self, question: str, history: History | None = None) -> Query:
        """The question understood once: cleaned, form requests taken out, made standalone, routed, and
        profiled for the answer path."""
        question, truncated = clean_question(question, self.settings.max_question_chars)
        asked, directives = strip_directives(question)
        standalone = self.rewrite(asked, history)
        catalog = catalog_query(standalone)
        if catalog is not None:
            return Query(question, standalone, tuple(directives), truncated, catalog=catalog)
        # "Do the sources agree?" is answered with one quote per source, unless a model writes the answers.
        topic = comparison_topic(standalone) if not self.model_writes else None
        return Query(question, standalone, tuple(directives), truncated, topic=topic,
                     profile=profile_question(topic or standalone, self.lexical, self.noise))

    def candidates(self, question: str, history: History | None = None) -> Candidates:
        """The question understood (``understand``) and, unless it goes to the catalog, the retrieved
        passages' units ranked: everything before the judge."""
        timings: dict[str, float] = {}
        with timed(timings, "understand"):
            query = self.understand(question, history)
        if query.route == "catalog":
            return Candidates(query, [], [], Answer("", [], False, query.question, query.standalone), timings)
        with timed(timings, "retrieve"):
            hits = self.retriever.search(query.topic or query.standalone)
        with timed(timings, "widen"):
            hits, context = self.widen(hits)
        passages = [h.chunk for h in hits]
        base = Answer("", [], False, query.question, query.standalone, sources_of(hits), passages_of(passages))
        base.removed += [("(question)", f"a request about the answer's form, not followed: {d}")
                         for d in query.directives] + kept_out(passages, self.reading)
        if query.truncated:
            base.removed.append(("(question)", f"truncated to {self.settings.max_question_chars} characters"))
            base.notice = (f"(Your question was cut to its first {self.settings.max_question_chars:,} characters: "
                           "RAG_MAX_QUESTION_CHARS.)")
        with timed(timings, "rank"):
            units = self.rank(query.profile, hits, context)
        return Candidates(query, units, passages, base, timings)

    # --- stages ----------------------------------------------------------------------------------

    def rewrite(self, question: str, history: History | None) -> str:
        """A follow-up made standalone: by the model when a model writes the answers, else from the dialog's own
        words (the judge picking what a pronoun refers to)."""
        if history and self.model_writes:
            rewritten = model_standalone_question(question, history, self.generator, self.prompts["rewrite"])
            if rewritten:
                return rewritten
        return standalone_question(question, history, self.judge)

    def widen(self, hits):
        """The hits with their chunks completed from their neighbours, and every chunk read (for its vectors)."""
        if not hits:
            return hits, []
        chunks = [h.chunk for h in hits]
        widened, neighbours = widen(chunks, self.retriever.store.get_chunks)
        return [dataclasses.replace(h, chunk=c) for h, c in zip(hits, widened)], chunks + neighbours

    def rank(self, q: QuestionProfile, hits, context: list[Chunk] | None = None) -> list[Evidence]:
        """Candidate units of the hits, scored; ``context``: the chunks whose stored sentence vectors apply
        (the hits' own chunks by default)."""
        # Kept out as orders to an AI: the stored verdicts, else the phrase patterns (not with a live screen).
        reading, patterns = self.reading, self.settings.injection_screen != "judge"
        units = candidate_units(hits, lambda chunk: injected_spans(chunk, reading, patterns))
        if not units:
            return []
        vectors = self.unit_vectors(units, [h.chunk for h in hits], context)
        return rank(units, q, RankContext(self.embed([q.text])[0], vectors, len(hits)), self.rules)

    def judges_presence(self, q: QuestionProfile) -> bool:
        """Whether the judge decides which units answer. Not for yes/no questions: measured, the bundled
        model replies "unknown" to nearly every passage that answers one with "no" ("did not deny")."""
        return self.judge is not None and not q.yes_no

    def implausible(self, q: QuestionProfile, units: list[Evidence]) -> str | None:
        """Why the units could not answer at all (None: they could): none, a name the corpus never mentions,
        or, where the judge does not decide, no unit covering enough of the question."""
        if not units:
            return "no passage retrieved"
        if names := unknown_names(q.text, [u.text for u in units], self.lexical, self.noise):
            return "no document mentions " + ", ".join(names)
        coverage = max(u.coverage for u in units)
        if self.judges_presence(q) or coverage >= MIN_COVERAGE or (
                coverage >= MIN_COVERAGE_PARAPHRASE and max(u.similarity for u in units) >= MIN_SIMILARITY_PARAPHRASE):
            return None
        return f"the best passage holds {coverage:.0%} of the question's words (MIN_COVERAGE; no judge decides here)"

    def postprocessors(self, q: QuestionProfile) -> list[Postprocessor]:
        """The steps from the ranked units to the answer's evidence: the judge's filter (``judges_presence``), then expand."""
        judged = [JudgeFilter(self.judge, self.settings.judge_threshold, selector_for(self.settings.selection),
                              self.rules, self.settings.judge_candidates)] if self.judges_presence(q) else []
        return judged + [ChooseAndExpand(self.screen)]

    @property
    def screen(self) -> InjectionScreen | None:  # RAG_INJECTION_SCREEN=judge: quoted pieces not yet read are read
        live = self.judge is not None and self.settings.injection_screen == "judge"
        return InjectionScreen(self.judge) if live else None

    @property
    def reading(self) -> str | None:  # the injection reading whose stored verdicts apply (rag.index.screening)
        judged = self.judge is not None and self.settings.injection_screen != "patterns"
        return self.judge.instruction_reading() if judged else None

    @property
    def model_writes(self) -> bool:
        """Whether a model writes the answers (then it rewrites follow-ups too)."""
        return COMPOSERS[composer_name(self.settings)].writes

    @property
    def composer(self) -> Composer:
        """Who writes the answer (RAG_COMPOSER; rag.answer.composers): the evidence's own sentences, or the
        backend's model."""
        if composer_name(self.settings) == "model":
            return ModelComposer(lambda: self.generator, self.prompts, self.guard)
        return ExtractiveComposer(self.judge if self.settings.direct_lead else None)

    def compared(self, question: str, units: list[Evidence], passages: list[Chunk], base: Answer,
                 started: float) -> Answer:
        """Whether (or how) the sources agree: one attributed quote per source (see rag.answer.compare)."""
        judge = self.judge if self.settings.direct_lead else None
        chosen, screened_out = screened(lambda kept: sides(kept, passages), units, passages, self.screen)
        base.removed += screened_out
        kept = compare(question, chosen, passages, judge, base.removed)
        return render(base, kept, passages, started, final=True, attribute=True) if kept else abstain(base, started)

    def guard(self, draft: str, passages: list[Chunk], given: set[str] = frozenset()):
        """The citation guard over the retrieved passages, with the judge's entailment when there is one."""
        return check_answer(draft, passages, self.lexical.idf, given=given, entail_threshold=ENTAILED,
                            entails=self.judge.entails if self.judge else None)

    def catalog(self, query: CatalogQuery, question: str, standalone: str, started: float) -> Answer:
        """A corpus-level question, answered from the documents' metadata (see rag.answer.catalog)."""
        documents = [d for d in self.lexical.documents() if within_filters(d["doc_id"], d["date"], self.settings)]
        return catalog_route(query, question, standalone, documents, lambda per_story, doc_ids:
                             self.retriever.store.get_chunks(self.lexical.opening_chunk_ids(per_story, doc_ids)),
                             started)
