"""An ingest killed with SIGKILL at several points is finished by the next run: no duplicate chunk, no
half-written document, nothing listed without its chunks. A real `python -m rag index` process is killed,
with the lexical index in its SQLite file and in a real PostgreSQL server."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from rag import Assistant, Settings
from rag.index.corpus import load_corpus
from rag.index.chunking import chunk_document, make_splitter

from .conftest import CORPUS, ROOT

KILL_AFTER_SECONDS = (4, 7, 10, 13)  # start-up takes ~3 s; each run then writes some documents


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_an_ingest_killed_at_several_points_is_finished_by_the_next_run(tmp_path, engine, request):
    lexical_url = request.getfixturevalue("postgres_server") if engine == "postgres" else None
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for copy in range(6):  # 30 documents, ~150 chunks: long enough to be killed midway
        for f in CORPUS.iterdir():
            shutil.copy(f, corpus / f"{f.stem}_{copy}{f.suffix}")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", lexical_url=lexical_url,
                        collection=f"killed_{engine}")
    command = [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index-dir", str(settings.index_dir)]
    command += ["--lexical-url", lexical_url] if lexical_url else []
    env = {**os.environ, "RAG_FAST": "true", "RAG_COLLECTION": settings.collection}
    finished_early = 0
    for delay in KILL_AFTER_SECONDS:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        else:
            finished_early += 1
        process.wait()

    resumed = Assistant(settings)
    resumed.engine()  # the next start finishes the job
    assert resumed.store.is_complete()
    splitter = make_splitter(settings)
    expected = {d.doc_id: len(chunk_document(d, splitter)) for d in load_corpus(corpus).documents}
    chunks = resumed.store.all_chunks()
    assert len({c.id for c in chunks}) == len(chunks) == sum(expected.values())
    assert {d["doc_id"]: d["chunks"] for d in resumed.documents()} == expected  # the lexical index's count
    assert resumed.lexical.chunk_count() == len(chunks)  # no BM25 row twice, none missing
    assert all(h for h in resumed.store.document_hashes().values())
    assert finished_early < len(KILL_AFTER_SECONDS), "no run was killed midway: raise the corpus size"
