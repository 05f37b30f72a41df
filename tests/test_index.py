"""Chunking with exact offsets, incremental re-indexing, refusing mixed models, resuming a half-built index."""

import shutil
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.index.corpus import load_corpus
from rag.models.embedding import DIMENSION
from rag.index.chunking import chunk_document, make_splitter
from rag.index.store import ChunkStore, IndexMismatch
from rag.tokens import count_tokens

from .conftest import CORPUS


def test_chunks_are_exact_spans_within_the_token_budget(settings):
    splitter = make_splitter(settings)
    for doc in load_corpus(CORPUS).documents:
        chunks = chunk_document(doc, splitter)
        assert chunks
        for chunk in chunks:
            assert doc.text[chunk.start:chunk.end] == chunk.text
            assert count_tokens(chunk.text) <= settings.chunk_tokens
            assert chunk.doc_id == doc.doc_id


def test_tag_page_chunks_keep_the_document_id_and_their_story_title(assistant):
    chunks = [c for c in assistant.store.all_chunks() if c.doc_id == "002_4162cab4bec21213"]
    titles = {c.title for c in chunks}
    assert any(t.startswith("2021 SCO national finance") for t in titles)
    assert all(c.doc_title == "Tag: Cooperation" for c in chunks)


def test_collection_records_the_embedding_model(assistant):
    meta = assistant.store.collection.metadata
    assert meta["embed_model"] == "all-MiniLM-L6-v2-onnx-int8"
    assert meta["embed_dim"] == DIMENSION == 384


@pytest.fixture()
def small_setup(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_2561fe39030d5e94.txt", "003_8e1d12b5a911970d.txt", "004_e05cac517c94737c.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


def test_reindex_skips_unchanged_replaces_changed_removes_deleted(small_setup):
    assistant = Assistant(small_setup)
    first = assistant.index()
    assert sorted(first.added) == ["000_2561fe39030d5e94", "003_8e1d12b5a911970d", "004_e05cac517c94737c"]

    corpus = small_setup.corpus_dir
    changed = corpus / "003_8e1d12b5a911970d.txt"
    changed.write_text(changed.read_text() + "\nThe academy also admitted 7 honorary members from Harbin.\n")
    (corpus / "004_e05cac517c94737c.txt").unlink()
    second = assistant.index()
    assert second.unchanged == ["000_2561fe39030d5e94"]
    assert second.updated == ["003_8e1d12b5a911970d"]
    assert second.removed == ["004_e05cac517c94737c"]
    assert {d["doc_id"] for d in assistant.documents()} == {"000_2561fe39030d5e94", "003_8e1d12b5a911970d"}
    texts = " ".join(c.text for c in assistant.store.all_chunks())
    assert "7 honorary members from Harbin" in texts

    third = assistant.index()
    assert third.added == third.updated == third.removed == [] and third.chunks == 0


def test_an_index_built_by_another_model_is_refused_with_rebuild_advice(small_setup):
    Assistant(small_setup).index()
    with pytest.raises(IndexMismatch, match="rebuild"):
        ChunkStore(small_setup, "some-other-model", 768)


def test_half_built_index_is_finished_on_next_start(small_setup):
    assistant = Assistant(small_setup)
    assistant.index()
    assistant.store.delete_document("003_8e1d12b5a911970d")
    assistant.store.mark_complete(False)  # as if an ingest died midway

    reopened = Assistant(small_setup)
    reopened.engine()
    assert reopened.store.is_complete()
    assert "003_8e1d12b5a911970d" in {d["doc_id"] for d in reopened.documents()}


def test_a_bad_file_in_the_corpus_is_reported_and_the_rest_indexed(small_setup):
    (small_setup.corpus_dir / "broken.txt").write_bytes(b"\x00\xff" * 50)
    report = Assistant(small_setup).index()
    assert len(report.added) == 3
    assert any("broken.txt" in path and "binary" in why for path, why in report.skipped)


def test_an_unreadable_or_oversized_file_is_read_once_until_it_changes(small_setup):
    import os

    corpus = small_setup.corpus_dir
    (corpus / "broken.txt").write_bytes(b"\x00\xff" * 50)
    (corpus / "dump.txt").write_text("one line of a log " * 14_000, encoding="utf-8")  # 252,000 characters
    settings = small_setup.replace(max_document_chars=200_000)
    first = Assistant(settings).index()
    reasons = {Path(path).name: why for path, why in first.skipped}
    assert "binary" in reasons["broken.txt"] and "over the 200,000 a document may hold" in reasons["dump.txt"]
    assert "RAG_MAX_DOCUMENT_CHARS" in reasons["dump.txt"]

    again = {Path(path).name: why for path, why in Assistant(settings).index().skipped}
    assert all("as when last read" in again[name] for name in ("broken.txt", "dump.txt"))  # not read again

    (corpus / "dump.txt").write_text("A short note about the moon station.", encoding="utf-8")
    os.utime(corpus / "broken.txt", ns=(1, 1))  # touched: read again, and still binary
    third = Assistant(settings).index()
    assert "dump" in third.added
    assert [why for path, why in third.skipped if path.endswith("broken.txt")] == [reasons["broken.txt"]]
    assert Assistant(settings).index(rebuild=True).skipped[0][1] == reasons["broken.txt"]  # a rebuild reads all


def test_a_folder_of_pdf_html_and_markdown_is_a_corpus(tmp_path):
    from .pdf_fixture import write_pages_pdf

    corpus = tmp_path / "mixed"
    corpus.mkdir()
    write_pages_pdf(corpus / "harbin_note.pdf", [
        ["Harbin hosts a China-Russia carbon materials conference."],
        [],  # a blank page keeps its number: the next page is still page 3
        ["The conference on carbon materials opens in Harbin on May 12, 2022, organisers said."],
        ["Registration closes on April 30, 2022, for every delegation."],
    ])
    (corpus / "lunar.html").write_text(
        "<html><head><title>Lunar station plan</title><script>alert('x')</script></head>"
        "<body><h1>Lunar station plan</h1><p>China and Russia plan an international research station "
        "on the moon.</p><h2>Timeline</h2><p>The station's first module is due in 2030, the plan says.</p>"
        "</body></html>", encoding="utf-8")
    (corpus / "fusion.md").write_text("# Fusion parts\n\nRussia provided cooling devices to a fusion project.\n\n"
                                      "## Magnets\n\nThe magnets for the fusion project came from St Petersburg.\n",
                                      encoding="utf-8")
    assistant = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"))
    assert sorted(assistant.index().added) == ["fusion", "harbin_note", "lunar"]
    assert {d["doc_id"]: d["title"] for d in assistant.documents()}["lunar"] == "Lunar station plan"

    answer = assistant.ask("When does the carbon materials conference open in Harbin?")
    assert not answer.abstained
    cited = answer.citations[0]
    assert cited.doc_id == "harbin_note" and "May 12, 2022" in cited.quote
    assert (cited.file, cited.page) == ("harbin_note.pdf", 3)  # the page the quote is on, not the chunk's first
    assert answer.to_dict()["citations"][0]["page"] == 3
    assert cited.where == "harbin_note.pdf, p. 3"
    assert all("alert" not in c.quote for c in assistant.ask("What is planned on the moon?").citations)

    magnets = assistant.ask("Where did the magnets for the fusion project come from?")
    assert not magnets.abstained
    assert [(c.file, c.page, c.section) for c in magnets.citations if "St Petersburg" in c.quote] == [
        ("fusion.md", None, "Magnets")]
    module = assistant.ask("When is the lunar station's first module due?")
    assert [c.section for c in module.citations if "2030" in c.quote] == ["Timeline"]


def test_the_index_remembers_its_corpus_folder_so_a_resume_keeps_its_documents(small_setup, tmp_path):
    other = tmp_path / "other-corpus"
    other.mkdir()
    for name in ("000_2561fe39030d5e94.txt", "004_e05cac517c94737c.txt"):
        shutil.copy(CORPUS / name, other / name)
    assistant = Assistant(small_setup)  # configured for small_setup.corpus_dir, indexed from another folder
    assistant.index(other)
    assert assistant.corpus_folder() == other.resolve()
    assistant.store.mark_complete(False)  # an ingest of that folder died midway
    reopened = Assistant(small_setup)
    reopened.engine()
    assert {d["doc_id"] for d in reopened.documents()} == {"000_2561fe39030d5e94", "004_e05cac517c94737c"}


def test_reads_and_writes_are_paged(small_setup, monkeypatch):
    """No Chroma call grows with the collection: reads come in pages, writes in the client's batch size."""
    import rag.index.store

    monkeypatch.setattr(rag.index.store, "READ_PAGE", 7)
    assistant = Assistant(small_setup)
    monkeypatch.setattr(assistant.store, "max_batch", lambda: 5)
    assistant.index()
    chunks = assistant.store.all_chunks()
    assert len(chunks) == assistant.store.count() > 7
    assert len({c.id for c in chunks}) == len(chunks)
    assert len(assistant.store.document_hashes()) == 3
    before = assistant.store.count()
    (small_setup.corpus_dir / "003_8e1d12b5a911970d.txt").write_text("A short replacement text.\n")
    assistant.index()
    assert assistant.store.count() < before
    assert [c.text for c in assistant.store.all_chunks() if c.doc_id == "003_8e1d12b5a911970d"] == [
        "A short replacement text."]


class WatchedEncoder:
    """The real encoder, with ``before(texts)`` called ahead of each of its passes."""

    def __init__(self, encoder, before):
        self.encoder, self.before = encoder, before

    def embed(self, texts):
        self.before(texts)
        return self.encoder.embed(texts)

    def embed_with_spans(self, texts, spans):
        self.before(texts)
        return self.encoder.embed_with_spans(texts, spans)


def test_a_document_that_fails_to_index_is_set_aside_and_the_rest_indexed(small_setup, monkeypatch):
    assistant = Assistant(small_setup)

    def choke(texts):
        if any("Sergeev" in t for t in texts):
            raise RuntimeError("the encoder choked")

    assistant.embedder = WatchedEncoder(assistant.embedder, choke)
    report = assistant.index()
    assert len(report.added) == 2 and assistant.store.is_complete()
    assert any("could not be indexed" in why and "choked" in why for _, why in report.skipped)


def test_a_document_whose_write_was_cut_off_is_written_again(small_setup):
    assistant = Assistant(small_setup)
    assistant.index()
    doc_id = "003_8e1d12b5a911970d"
    ids = sorted(i for i, _, _ in assistant.store._pages(include=[], where={"doc_id": doc_id}))
    assistant.store.collection.delete(ids=ids[len(ids) // 2:])  # as if killed between two write batches
    assistant.store.mark_complete(False)
    assert assistant.store.document_hashes()[doc_id] == ""
    report = Assistant(small_setup).index()
    assert report.updated == [doc_id]
    assert len([c for c in assistant.store.all_chunks() if c.doc_id == doc_id]) == len(ids)


def test_questions_are_answered_while_an_ingest_runs(small_setup, monkeypatch):
    import threading
    import time as clock

    assistant = Assistant(small_setup.replace(fast=True))
    assistant.engine()
    writing = threading.Event()

    def slow(texts):
        writing.set()
        clock.sleep(2)

    assistant.embedder = WatchedEncoder(assistant.embedder, slow)
    shutil.copy(CORPUS / "001_2082d504f351398b.txt", small_setup.corpus_dir / "001_2082d504f351398b.txt")
    ingest = threading.Thread(target=assistant.index)
    ingest.start()
    assert writing.wait(30)
    answer = assistant.ask("Who is the president of the Russian Academy of Engineering?")
    assert ingest.is_alive()  # answered from the index as it was, not queued behind the ingest
    assert not answer.abstained
    ingest.join()


def test_a_big_document_reports_progress_as_it_is_embedded(small_setup, monkeypatch):
    import rag.index.ingest

    monkeypatch.setattr(rag.index.ingest, "EMBED_SLICE", 4)
    seen = []
    Assistant(small_setup).index(progress=lambda done, total, doc_id: seen.append((round(done, 2), total)))
    fractions = [done for done, _ in seen if done != int(done)]
    assert fractions and seen[-1] == (3, 3) and seen == sorted(seen)


def test_a_ui_progress_bar_is_told_the_share_done_and_the_rate(monkeypatch):
    from rag.index import ingest

    clock = iter([100.0, 130.0])  # started, then 30 s later
    monkeypatch.setattr(ingest.time, "perf_counter", lambda: next(clock))
    shown = []
    ingest.described_progress(lambda share, text: shown.append((share, text)))(2.5, 10, "moon")
    assert shown == [(0.25, "indexing moon: 2.5 of 10 documents, 5.0/min, about 90 s left")]
