"""The public entry point: ``Assistant`` ties settings, index, retrieval and answering together."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

from .answer.conversation import History
from .answer.injection import INSTRUCTION_AT
from .answer.pipeline import AnswerPipeline
from .answer.render import Answer
from .answer.retrieval import HybridRetriever
from .errors import StoreUnavailable
from .index.background import IngestJob, QuestionsFirst
from .index.corpus import set_aside_files
from .index.ingest import IngestReport, ProgressCallback, ingest
from .index.lexical import LexicalIndex
from .index.lexical_sqlite import SqliteLexicalIndex, lexical_path
from .index.screening import BackgroundScreen, ScreenJob, screen_chunks
from .index.store import ChunkStore
from .models.embedding_server import load_encoder
from .models.judge import JUDGE_FIELDS, Judge, load_judge
from .models.llm import load_generator
from .prompts import Prompts
from .settings import Settings


class Assistant:
    """Answers questions about a corpus with verified, cited quotes.

    >>> a = Assistant()                      # offline defaults; builds the index on first use
    >>> r = a.ask("Did China deny the freeze?")
    >>> r.text, r.citations, r.abstained
    """

    def __init__(self, settings: Settings | None = None, *, judge: Judge | None = None, **overrides):
        """``settings`` (default: from the environment) with ``overrides``; ``judge`` shares an existing
        judge (and its loaded model) instead of loading the bundled one."""
        self.settings = settings.replace(**overrides) if settings else Settings.from_env(**overrides)
        self.embedder = load_encoder(self.settings)  # in-process, or on the server RAG_EMBED_BASE_URL names
        self.store = ChunkStore(self.settings, self.embedder.model_name, self.embedder.dimension)
        self.lexical = self._open_lexical()
        self._engine: AnswerPipeline | None = None
        self._generator = None
        self._judge = judge
        self._lock = threading.RLock()  # one ingest at a time; questions never take it once an engine exists
        self._answering = QuestionsFirst(self.settings.ingest_yield_seconds)
        self._job: IngestJob | None = None
        self._screen = BackgroundScreen()  # the injection screen, while the server is idle
        self._owns_index, self._owns_judge = True, judge is None  # what close() closes
        self._closed = threading.Event()  # set by close(); shared with derived assistants

    # Fields that decide where the index lives; an assistant derived for another answer setup shares them.
    INDEX_FIELDS = ("corpus_dir", "index_dir", "collection", "chroma_url", "lexical_url", "chunk_tokens",
                    "chunk_overlap", "cache_dir", "embed_base_url", "embed_model", "embed_api_key")

    def derive(self, **changes) -> "Assistant":
        """An assistant with other answer settings (backend, top-k, ...) over the same index, embedder and
        judge: what the web UI gives a visitor who changes settings for their own session."""
        fixed = sorted(set(changes) & set(self.INDEX_FIELDS))
        if fixed:
            raise ValueError(f"derive() changes answer settings only, not {', '.join(fixed)}")
        other = object.__new__(Assistant)
        other.settings = self.settings.replace(**changes)
        other.embedder, other.store, other.lexical = self.embedder, self.store, self.lexical
        # The same index: the same ingest lock, its questions counted with the others.
        other._lock, other._answering, other._job, other._screen = self._lock, self._answering, None, BackgroundScreen()
        other._engine, other._generator = None, None
        same_judge = all(getattr(other.settings, f) == getattr(self.settings, f) for f in JUDGE_FIELDS)
        other._judge = (self.judge() if not other.settings.fast else self._judge) if same_judge else None
        other._owns_index, other._owns_judge = False, not same_judge  # the index is the parent's to close
        other._closed = self._closed
        return other

    def close(self) -> None:
        """Let go of what this assistant opened (``with Assistant() as a:`` calls it), once no question is being
        answered: the screen is stopped, a running ingest waited for, then the index's clients and the models it
        loaded are closed (not a judge given to it). Idempotent. A ``derive()``d one closes only its own models."""
        with self._lock:  # after a running ingest
            parts = [self._generator, self._judge if self._owns_judge else None]
            if self._owns_index and not self._closed.is_set():
                self._closed.set()
                self._screen.stop()
                parts += [self.store, self.lexical, self.embedder]
            self._engine = self._generator = None
            if self._owns_judge:
                self._judge = None
            for part in parts:
                if callable(getattr(part, "close", None)):
                    part.close()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise StoreUnavailable("this Assistant was closed (Assistant.close()); make a new one")

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- index -------------------------------------------------------------------------------

    def index(self, corpus_dir: str | Path | None = None, rebuild: bool = False,
              progress: bool | ProgressCallback = False) -> IngestReport:
        """Bring the index in line with a corpus folder (incremental unless ``rebuild``).

        Questions keep being answered meanwhile, from the engine built at the end of the last ingest,
        and go first: between two slices of encoding the ingest waits while a question is being answered
        (``QuestionsFirst``). A new engine (fresh document frequencies) replaces the old one at the end."""
        with self._lock:
            self._check_open()
            screening = self._screen.stop()  # its verdicts must not land on chunks the ingest rewrites
            report = ingest(self.settings, self.store, self.lexical, self.embedder,
                            Path(corpus_dir) if corpus_dir else None, progress=progress, rebuild=rebuild,
                            pause=self._answering.wait_idle)
            self._engine = self._new_engine()
        if screening:
            self.screen_in_background()
        return report

    def index_in_background(self, corpus_dir: str | Path | None = None, rebuild: bool = False) -> "IngestJob":
        """Start ``index()`` in a thread and return its job (progress, report or error); the job already
        running when one is."""
        with self._lock:
            if self._job is not None and self._job.running:
                return self._job
            job = self._job = IngestJob(folder=str(corpus_dir or self.corpus_folder()))

        def work():
            try:
                job.report = self.index(job.folder, rebuild=rebuild, progress=job.update)
            except Exception as exc:  # shown where the progress was; the index keeps what was written
                job.error = f"{exc.__class__.__name__}: {exc}"
            finally:
                job.running = False

        threading.Thread(target=work, name="background-ingest", daemon=True).start()
        return job

    # --- the injection screen (rag.index.screening) ---------------------------------------------

    def screen(self) -> ScreenJob:
        """Have the judge read every chunk it has not read yet for orders to an AI, now, and keep its verdicts
        with the chunks (answers then keep flagged pieces out at no cost); the pass's figures."""
        with self._lock:
            self._check_open()
            judge = self.judge()
            return screen_chunks(self.store, judge.instructions, judge.instruction_reading(), INSTRUCTION_AT)

    def screen_in_background(self) -> ScreenJob | None:
        """What a server calls once serving: the same reading in a thread, a piece at a time while no question
        has been asked for ``screen_quiet_seconds``; restarted after each index change. None when the
        settings screen with the phrase patterns only (RAG_INJECTION_SCREEN=patterns, or ``fast``)."""
        if self.settings.injection_screen == "patterns" or self.settings.fast:
            return None
        with self._lock:
            self._check_open()
            judge = self.judge()
            return self._screen.start(self.store, judge.instructions, judge.instruction_reading(), INSTRUCTION_AT,
                                      lambda stop: self._answering.wait_quiet(self.settings.screen_quiet_seconds, stop))

    def screen_job(self) -> ScreenJob | None:
        """The background screen's job (running or ended), if one was started."""
        return self._screen.job

    def ingest_job(self) -> "IngestJob | None":
        """The last background ingest (running or finished), if any."""
        return self._job

    def open_for_serving(self) -> "IngestJob | None":
        """What a server calls at start: questions are answered from the index as it is at once. An
        empty index is built first (there is nothing to answer from); an ingest that was cut off is
        resumed in the background, its job returned. (``ask()`` on its own would finish it first.)"""
        with self._lock:
            if self._engine is not None:
                return None
            if self.store.count() == 0:
                self.index(progress=False)
                return None
            self._engine = self._new_engine()
            if self._index_whole():
                return None
        return self.index_in_background(self.corpus_folder())

    def lexical_file(self) -> Path | None:
        """The lexical index's file (BM25 and sentence vectors): in ``index_dir``, also with a Chroma server;
        None when the lexical side is in PostgreSQL (``lexical_url``)."""
        if self.settings.lexical_url:
            return None
        return lexical_path(self.settings.index_dir, self.settings.collection, self.settings.chroma_url)

    def _open_lexical(self) -> LexicalIndex:
        if self.settings.lexical_url:  # psycopg is imported only when configured
            from .index.lexical_postgres import PostgresLexicalIndex
            return PostgresLexicalIndex(self.settings.lexical_url, self.settings.collection, self.embedder.model_name)
        return SqliteLexicalIndex(self.lexical_file(), self.embedder.model_name)

    def corpus_folder(self) -> Path:
        """The folder the index was built from (``rag index --corpus``), else the configured one."""
        recorded = self.store.corpus_folder()
        return Path(recorded) if recorded else self.settings.corpus_dir

    def documents(self) -> list[dict]:
        """Indexed documents: doc_id, title, date and chunk count."""
        return self.lexical.documents()

    def document_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every indexed document (what an upload is compared with)."""
        return self.lexical.document_hashes()

    def remove_document(self, doc_id: str, set_aside: bool = False) -> list[Path]:
        """Take a document out of the index. With ``set_aside``, its files also leave the corpus folder
        (or the next index run would add it back) for the index folder's ``removed-documents/``, where
        they are kept; returns where they went."""
        with self._lock:
            self.store.delete_document(doc_id)
            self.lexical.delete_document(doc_id)
            self._engine = self._new_engine()
        return set_aside_files(self.corpus_folder(), doc_id, self.settings.index_dir / "removed-documents") \
            if set_aside else []

    # --- answers -----------------------------------------------------------------------------

    def ask(self, question: str, history: History | None = None) -> Answer:
        """Answer one question; ``history`` is the chat so far as [{"role", "content"}, ...]."""
        engine = self.engine()  # before counting this question: a first ingest must not wait for it
        with self._answering.question():
            return engine.answer(question, history)

    def stream(self, question: str, history: History | None = None) -> Iterator[str]:
        """The answer text in pieces, each piece made of sentences that already passed the guard."""
        for piece, _ in self.stream_pieces(question, history):
            if piece:
                yield piece

    def stream_pieces(self, question: str, history: History | None = None) -> Iterator[tuple[str, Answer]]:
        """(new text, partial ``Answer`` so far) as the answer grows; the last partial is complete."""
        shown = ""
        for partial in self.stream_answers(question, history):
            # An abstention replaces nothing shown yet, so a non-extension is sent whole.
            piece = partial.text[len(shown):] if partial.text.startswith(shown) else partial.text
            shown = partial.text
            yield piece, partial

    def stream_answers(self, question: str, history: History | None = None) -> Iterator[Answer]:
        """Partial ``Answer`` objects (text and citations so far); the last one is complete."""
        return self._answering.counted(self.engine().answer_stream(question, history))

    def engine(self) -> AnswerPipeline:
        """The answer pipeline over the current index: built on first use (after building the index, or
        finishing an interrupted ingest), then replaced whole at the end of every index change."""
        self._check_open()
        ready = self._engine
        if ready is not None:  # no lock: questions keep being answered while an ingest holds it
            return ready
        with self._lock:
            if self._engine is None:
                if self.store.count() == 0:
                    self.index(progress=False)
                elif not self._index_whole():
                    # An interrupted ingest, or an index from before the lexical one: finish it from its folder.
                    self.index(self.corpus_folder(), progress=False)
                else:
                    self._engine = self._new_engine()
            return self._engine

    def _index_whole(self) -> bool:
        return self.store.is_complete() and self.store.count() == self.lexical.chunk_count()

    def _new_engine(self) -> AnswerPipeline:
        retriever = HybridRetriever(self.settings, self.store, self._embed_query, self.lexical)
        return AnswerPipeline(self.settings, retriever, self.lexical, self.embedder.embed,
                              self._load_generator, self.judge, Prompts())

    def _load_generator(self):
        if self._generator is None:
            self._generator = load_generator(self.settings)
        return self._generator

    def judge(self) -> Judge:
        """The learned judge this assistant uses (the bundled model in-process, or on the model server
        RAG_JUDGE_BASE_URL names), loaded lazily."""
        if self._judge is None:  # one model per process, kept across index rebuilds
            self._judge = load_judge(self.settings)
        return self._judge

    def embed(self, texts: list[str]):
        """The index's encoder on ``texts``: L2-normalised vectors, one row per text (what ``/v1/embeddings``
        serves to app replicas that share this encoder)."""
        return self.embedder.embed(list(texts))

    def _embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0].tolist()

