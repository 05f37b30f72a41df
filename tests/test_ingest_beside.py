"""Questions are answered while an ingest runs: from the last complete index during it, from the new one
as soon as it ends, without waiting on the ingest's lock; an ingest lets questions in flight go first; a
server start answers at once and finishes an interrupted ingest in the background. Real Chroma, real
encoder, the lexical gate (``fast``) so the questions are quick: the judge plays no part in the locking."""

from __future__ import annotations

import shutil
import threading
import time

from rag import Assistant, Settings

from .conftest import CORPUS

FACT = ("Lyra telescope\n\nThe Lyra radio telescope of the Kazan observatory was switched on in March 2021 "
        "by the engineer Irina Volkova, after six years of construction.")
QUESTION = "Who switched on the Lyra radio telescope?"
WAIT = 300  # a deadlock guard, not a speed target: every wait here normally ends in seconds


def fresh(tmp_path, name: str) -> tuple[Assistant, object]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", collection=name, fast=True)
    return Assistant(settings), corpus


def add_documents(corpus, copies: int = 4) -> None:
    """The Lyra fact and copies of the bundled articles: an ingest of a few hundred chunks."""
    (corpus / "lyra.txt").write_text(FACT, encoding="utf-8")
    for copy in range(copies):
        for f in CORPUS.iterdir():
            shutil.copy(f, corpus / f"{f.stem}_copy{copy}{f.suffix}")


def cites_lyra(answer) -> bool:
    return any(c.doc_id == "lyra" for c in answer.citations)


def asked_beside(assistant: Assistant, question: str):
    """The answer, asked from another thread; fails if it is still waiting after WAIT seconds."""
    box = {}
    asker = threading.Thread(target=lambda: box.setdefault("answer", assistant.ask(question)))
    asker.start()
    asker.join(WAIT)
    assert not asker.is_alive(), "the question waited for the ingest"
    return box["answer"]


def test_questions_are_answered_during_an_ingest_before_and_after_the_index_changes(tmp_path):
    assistant, corpus = fresh(tmp_path, "beside")
    assert not cites_lyra(assistant.ask(QUESTION))  # builds the index over the five articles
    add_documents(corpus)
    inside, release = threading.Event(), threading.Event()

    def held(done, total, doc_id):  # the ingest stops mid-way, holding the index lock, until released
        inside.set()
        release.wait(WAIT)

    def ingest_held():
        inside.clear()
        release.clear()
        running = threading.Thread(target=assistant.index, kwargs={"progress": held})
        running.start()
        assert inside.wait(WAIT)
        return running

    running = ingest_held()
    during = asked_beside(assistant, QUESTION)
    assert not during.abstained or during.sources  # an answer from the last complete index ...
    assert not cites_lyra(during)  # ... which does not hold the new document yet
    release.set()
    running.join(WAIT)

    (corpus / "later.txt").write_text("Later\n\nA note added after the first ingest.", encoding="utf-8")
    running = ingest_held()  # the index has changed; another ingest is under way
    after = asked_beside(assistant, QUESTION)
    assert cites_lyra(after), after.text  # the new index, at once, without waiting for the second ingest
    assert "Volkova" in after.text
    release.set()
    running.join(WAIT)
    assert not running.is_alive()


def test_an_ingest_waits_while_a_question_is_being_answered(tmp_path):
    assistant, corpus = fresh(tmp_path, "first")
    assistant.engine()
    add_documents(corpus, copies=1)
    answers = assistant.stream_answers(QUESTION)
    next(answers)  # a question in flight (a stream paused before its end)
    progress = []
    running = threading.Thread(target=assistant.index, kwargs={"progress": lambda *step: progress.append(step)})
    running.start()
    time.sleep(3)
    assert running.is_alive() and progress == []  # no document encoded while the question runs
    answers.close()  # its client left: the question no longer counts
    running.join(WAIT)
    assert not running.is_alive() and progress


def test_a_server_start_answers_at_once_and_finishes_an_interrupted_ingest_in_the_background(tmp_path):
    assistant, corpus = fresh(tmp_path, "resumed")
    assistant.engine()
    add_documents(corpus)
    assistant.store.mark_complete(False)  # as an ingest cut off before its end leaves the index

    restarted = Assistant(assistant.settings)
    job = restarted.open_for_serving()
    assert job is not None and restarted.ingest_job() is job
    first = asked_beside(restarted, QUESTION)  # answered from the index as it is
    assert first.text
    if job.running:
        assert job.describe().startswith("Indexing in the background")
    deadline = time.monotonic() + WAIT
    while job.running and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not job.running and job.error is None
    assert "lyra" in job.report.added
    assert job.describe().startswith("Indexing finished.")
    assert restarted.store.is_complete()
    assert cites_lyra(restarted.ask(QUESTION))
    assert restarted.open_for_serving() is None  # an engine is already serving
