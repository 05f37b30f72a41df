"""Scale-out by configuration: the same assistant against a real `chroma run` server."""

import pytest

from rag import Assistant
from rag.index.store import StoreUnavailable


def test_a_chroma_server_holds_the_index_and_answers_like_the_embedded_one(settings, chroma_server, tmp_path):
    served = Assistant(settings.replace(chroma_url=chroma_server, index_dir=tmp_path / "unused"))
    report = served.index()
    assert len(report.added) == 5
    # The vectors are on the server; only the lexical index (BM25 and sentence vectors) is a local file.
    assert [p.name for p in (tmp_path / "unused").iterdir() if not p.name.endswith(("-wal", "-shm"))] == [
        served.lexical_file().name]

    answer = served.ask("Did China deny the freeze?")
    assert not answer.abstained
    assert answer.citations[0].doc_id == "000_2561fe39030d5e94"
    assert "did not deny" in answer.text

    # A second client (another app process on this machine) sees the same index; re-indexing skips everything.
    again = Assistant(settings.replace(chroma_url=chroma_server, index_dir=tmp_path / "unused"))
    assert len(again.index().unchanged) == 5
    assert {d["doc_id"] for d in again.documents()} == {d["doc_id"] for d in served.documents()}


def test_an_unreachable_chroma_server_names_the_setting(settings):
    with pytest.raises(StoreUnavailable, match="RAG_CHROMA_URL"):
        Assistant(settings.replace(chroma_url="http://127.0.0.1:9")).index()
