"""The PostgreSQL lexical engine (RAG_LEXICAL_URL) against a real server: the same BM25 as the SQLite
engine, incremental writes in one transaction, and an assistant whose whole index lives on servers."""

import numpy as np
import psycopg
import pytest

from rag import Assistant
from rag.errors import StoreUnavailable
from rag.index.lexical import IndexedDocument, SentenceVectors
from rag.index.lexical_postgres import PostgresLexicalIndex, redacted, schema_name
from rag.index.lexical_sqlite import SqliteLexicalIndex
from rag.text import content_stems

from .test_lexical import chunk

QUESTIONS = ["Did China deny the freeze?", "Which Russian institutes signed agreements with Chinese partners?",
             "sanctions against scientists in 2022", "joint lunar research station", "Asia-Pacific partners"]


@pytest.fixture
def empty_index(postgres_server, request):
    """A fresh collection (schema) of its own per test."""
    index = PostgresLexicalIndex(postgres_server, collection=request.node.name)
    index.reset()
    yield index
    index.close()


def document(doc_id: str, texts: list[str], date: str | None = None, with_vectors: bool = False) -> IndexedDocument:
    chunks = [chunk(doc_id, n, text, date) for n, text in enumerate(texts)]
    rng = np.random.default_rng(len(doc_id))
    sentences = [SentenceVectors(np.array([[0, len(t)]], np.int32),
                                 rng.standard_normal((1, 8)).astype(np.float32) if with_vectors
                                 else np.zeros((1, 0), np.float32)) for t in texts]
    return IndexedDocument(doc_id, "h-" + doc_id, doc_id.upper(), date, chunks, sentences)


def test_bm25_scores_and_counts_match_the_sqlite_engine_on_the_bundled_corpus(assistant, postgres_server):
    chunks = assistant.store.all_chunks()
    sqlite = SqliteLexicalIndex.of_chunks(chunks)
    served = PostgresLexicalIndex.of_chunks(chunks, url=postgres_server, collection="same_as_sqlite")
    for question in QUESTIONS:
        stems = content_stems(question)
        expected = dict(sqlite.search(stems, k=100))
        assert expected, question
        assert dict(served.search(stems, k=100)) == pytest.approx(expected, rel=1e-9), question
        assert [served.document_frequency(s) for s in stems] == [sqlite.document_frequency(s) for s in stems]
    assert served.chunk_count() == sqlite.chunk_count() == len(chunks)
    assert served.documents() == sqlite.documents()
    assert served.document_hashes() == sqlite.document_hashes()
    for per_story in (False, True):
        assert served.opening_chunk_ids(per_story) == sqlite.opening_chunk_ids(per_story)
        some = [d["doc_id"] for d in sqlite.documents()][::2]
        assert served.opening_chunk_ids(per_story, some) == sqlite.opening_chunk_ids(per_story, some)


def test_writes_replace_documents_in_place_and_filters_run_in_the_query(empty_index):
    index = empty_index
    index.write([document("zoo", ["A zebra grazes near the station.", "Keepers feed it twice."], "2021-05-01"),
                 document("lab", ["The station measures the zebra's stripes."], "2022-01-10")])
    zebra = content_stems("zebra")
    assert {c for c, _ in index.search(zebra, k=5)} == {"zoo:0:0", "lab:0:0"}
    assert index.search(zebra, k=5, doc_ids=("lab",))[0][0] == "lab:0:0"
    assert [c for c, _ in index.search(zebra, k=5, date_from=20220101)] == ["lab:0:0"]
    assert [c for c, _ in index.search(zebra, k=5, date_to=20211231)] == ["zoo:0:0"]

    index.write([document("zoo", ["A giraffe grazes near the station."], "2021-05-01")])  # re-indexed, edited
    assert [c for c, _ in index.search(zebra, k=5)] == ["lab:0:0"]
    assert index.document_frequency(zebra[0]) == 1 and index.chunk_count() == 2
    assert {d["doc_id"]: d["chunks"] for d in index.documents()} == {"lab": 1, "zoo": 1}

    index.delete_document("lab")
    assert index.search(zebra, k=5) == [] and index.chunk_count() == 1
    assert index.document_hashes() == {"zoo": "h-zoo"}


def test_sentence_vectors_round_trip_and_a_rewritten_chunk_is_left_out(empty_index):
    doc = document("vec", ["Sentence vectors are stored as half floats."], with_vectors=True)
    empty_index.write([doc])
    stored = empty_index.sentence_vectors(doc.chunks)["vec:0:0"]
    assert stored.spans.tolist() == doc.sentences[0].spans.tolist()
    assert np.allclose(stored.vectors, doc.sentences[0].vectors, atol=2e-3)
    edited = chunk("vec", 0, "Sentence vectors are stored as half floats, edited.")
    assert empty_index.sentence_vectors([edited]) == {}


def test_a_failed_write_leaves_the_index_as_it_was(empty_index):
    empty_index.write([document("kept", ["The first version stays."])])
    broken = document("kept", ["A second version", "that never lands"])
    broken.chunks[1] = broken.chunks[0]  # the same chunk id twice: the database refuses the batch
    with pytest.raises(psycopg.errors.UniqueViolation):
        empty_index.write([broken])
    assert [c for c, _ in empty_index.search(content_stems("first version"), k=5)] == ["kept:0:0"]
    assert empty_index.documents() == [{"doc_id": "kept", "title": "KEPT", "date": None, "chunks": 1}]


def test_an_assistant_on_a_chroma_server_and_postgresql_keeps_nothing_on_its_own_disk(
        settings, chroma_server, postgres_server, tmp_path):
    on_servers = settings.replace(chroma_url=chroma_server, lexical_url=postgres_server,
                                  index_dir=tmp_path / "unused", collection="servers_only")
    first = Assistant(on_servers)
    assert first.lexical_file() is None
    assert len(first.index().added) == 5
    assert not (tmp_path / "unused").exists() or not any((tmp_path / "unused").iterdir())

    answer = first.ask("Did China deny the freeze?")
    assert not answer.abstained and "did not deny" in answer.text
    assert answer.citations[0].doc_id == "000_2561fe39030d5e94"

    # Another app process (on any machine that reaches both servers) sees the same index.
    second = Assistant(on_servers)
    assert len(second.index().unchanged) == 5
    assert second.documents() == first.documents() and len(second.documents()) == 5


def test_a_connection_the_server_drops_is_opened_again(empty_index, postgres_server):
    empty_index.write([document("kept", ["Reconnecting keeps the index usable."])])
    with psycopg.connect(postgres_server, autocommit=True) as admin:  # as a restart or failover would
        admin.execute("SELECT pg_terminate_backend(%s)", (empty_index._db.info.backend_pid,))
    assert [c for c, _ in empty_index.search(content_stems("reconnecting"), k=3)] == ["kept:0:0"]
    empty_index.delete_document("kept")  # writes too
    assert empty_index.documents() == []


def test_an_unreachable_postgresql_names_the_setting_and_hides_the_password(settings):
    with pytest.raises(StoreUnavailable, match="RAG_LEXICAL_URL") as raised:
        Assistant(settings.replace(lexical_url="postgresql://rag:s3cret@127.0.0.1:9/rag"))
    assert "s3cret" not in str(raised.value) and "rag:***@127.0.0.1:9" in str(raised.value)


def test_collection_names_become_safe_schema_names():
    assert schema_name("My-Corpus 2") == "rag_my_corpus_2"
    assert schema_name('x"; DROP TABLE y; --') == "rag_x___drop_table_y____"
    assert redacted("postgresql://u:p@h:5432/db") == "postgresql://u:***@h:5432/db"
