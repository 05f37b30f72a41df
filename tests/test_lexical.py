"""The lexical index (SQLite FTS5): BM25 search, document frequencies from the index, filters in the
query, sentence vectors, and incremental updates made in the same ingest step as Chroma."""

import shutil

import numpy as np

from rag import Assistant
from rag.index.ingest import embed_chunks
from rag.index.lexical_sqlite import SqliteLexicalIndex as LexicalIndex, match_expression
from rag.settings import Settings
from rag.index.store import Chunk
from rag.text import content_stems, stem

from .conftest import CORPUS


def chunk(doc_id: str, n: int, text: str, date: str | None = None) -> Chunk:
    return Chunk(f"{doc_id}:0:{n}", doc_id, text, "", doc_id, date, 0, n * 100, n * 100 + len(text), "h-" + doc_id)


INDEX = LexicalIndex.of_chunks([
    chunk("a", 0, "The lunar research station will be built jointly.", "2021-03-09"),
    chunk("a", 1, "Funding for the station comes from both academies.", "2021-03-09"),
    chunk("b", 0, "Scientists froze cooperation after the invasion.", "2022-04-16"),
    chunk("c", 0, "Asia-Pacific partners discussed the station budget.", None),
])


def test_search_ranks_by_bm25_and_returns_chunk_ids():
    hits = INDEX.search(content_stems("Who froze cooperation?"), k=5)
    assert hits[0][0] == "b:0:0" and hits[0][1] > 0
    assert INDEX.search(content_stems("quantum chromodynamics"), k=5) == []


def test_a_large_index_leaves_very_common_words_out_of_the_query(monkeypatch):
    import rag.index.lexical

    chunks = [chunk("d", n, f"A common sentence number {n}." + (" A rare word." if n == 0 else "")
                    + (" A middling word." if n < 2 else "")) for n in range(20)]
    index = LexicalIndex.of_chunks(chunks)
    stems = content_stems("common rare middling")
    assert index.discriminating(stems) == stems  # a small index searches every word
    monkeypatch.setattr(rag.index.lexical, "COMMON_FROM", 10)
    assert index.discriminating(stems) == [stem("rare"), stem("middling")]  # the two rarest stay
    assert index.search(stems, k=3)[0][0] == "d:0:0"


def test_filters_run_inside_the_query():
    station = content_stems("station")
    assert {c for c, _ in INDEX.search(station, k=5)} == {"a:0:0", "a:0:1", "c:0:0"}
    assert {c for c, _ in INDEX.search(station, k=5, doc_ids=("c",))} == {"c:0:0"}
    # An undated chunk never passes a date filter.
    assert {c for c, _ in INDEX.search(station, k=5, date_from=20210101)} == {"a:0:0", "a:0:1"}
    assert INDEX.search(station, k=5, date_to=20201231) == []


def test_document_frequencies_come_from_the_index():
    assert INDEX.chunk_count() == 4
    assert INDEX.document_frequency("station") == 3
    assert INDEX.frequency("station") == 0.75
    assert INDEX.idf("nobel") > INDEX.idf(stem("froze")) > INDEX.idf("station")
    # Each part of a hyphenated word is known; the whole counts as its rarest part.
    assert INDEX.knows("pacific") and INDEX.knows("asia-pacific") and not INDEX.knows("nobel")


def test_query_syntax_in_a_question_is_only_words():
    assert match_expression(['"', "or", 'x"y', "-"]) == '"or" OR "x""y"'
    assert INDEX.search(['NEAR(', '"', "AND"], k=5) == []


def test_documents_and_openings_without_reading_every_chunk():
    assert [d["doc_id"] for d in INDEX.documents()] == ["a", "b", "c"]
    assert INDEX.documents()[0]["chunks"] == 2
    assert INDEX.opening_chunk_ids() == ["a:0:0", "b:0:0", "c:0:0"]
    assert INDEX.opening_chunk_ids(doc_ids=["c", "a"]) == ["a:0:0", "c:0:0"]  # only the documents asked for
    assert INDEX.opening_chunk_ids(doc_ids=[]) == []


def test_sentence_vectors_are_stored_at_ingest_and_checked_against_the_chunk_text(assistant):
    chunks = assistant.store.get_chunks([assistant.lexical.opening_chunk_ids()[0]])
    stored = assistant.lexical.sentence_vectors(chunks)[chunks[0].id]
    assert len(stored.spans) >= 2
    _, [fresh] = embed_chunks(assistant.embedder, chunks, lambda share: None)  # as ingest embeds them
    assert np.array_equal(stored.spans, fresh.spans)
    assert min(float(np.dot(a, b)) for a, b in zip(stored.vectors, fresh.vectors)) > 0.99  # float16 loses nothing that matters
    changed = [Chunk(**{**chunks[0].__dict__, "text": chunks[0].text + " (edited)"})]
    assert assistant.lexical.sentence_vectors(changed) == {}  # a rewritten chunk is embedded afresh


def test_reindex_updates_the_lexical_index_in_place(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "003_8e1d12b5a911970d.txt", corpus / "003_8e1d12b5a911970d.txt")
    assistant = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index", fast=True))
    assistant.index()
    assert assistant.lexical.chunk_count() == assistant.store.count()

    (corpus / "zebra.txt").write_text("Zebrafish research\n\nA zebrafish laboratory opened in Kazan in 2021.\n")
    report = assistant.index()
    assert report.added == ["zebra"] and report.unchanged == ["003_8e1d12b5a911970d"]
    assert [c for c, _ in assistant.lexical.search(content_stems("zebrafish"), k=3)] == ["zebra:0:0"]

    (corpus / "zebra.txt").unlink()
    assistant.index()
    assert assistant.lexical.search(content_stems("zebrafish"), k=3) == []
    assert assistant.lexical.chunk_count() == assistant.store.count()


def test_an_index_without_its_lexical_side_is_completed_on_start(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "003_8e1d12b5a911970d.txt", corpus / "003_8e1d12b5a911970d.txt")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", fast=True)
    first = Assistant(settings)
    first.index()
    first.lexical.reset()  # as an index built before the lexical index existed
    again = Assistant(settings)
    again.engine()
    assert again.lexical.chunk_count() == again.store.count() > 0
    hits = again.engine().retriever.search("China-Russia scientific cooperation")
    assert hits and max(h.lexical for h in hits) > 0  # BM25 answers again
