"""One measurement in a fresh process (so start-up time and peak RSS are its own), printed as JSON.

    python -m bench.probe ingest  --corpus DIR --index DIR [--stand-in] [--chroma-url URL] [--lexical-url URL]
    python -m bench.probe answer  --index DIR [--stand-in] [--chroma-url URL] [--lexical-url URL] [--clients 8]
    python -m bench.probe peer    --corpus DIR [--stand-in]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import threading
import time
from pathlib import Path

QUESTIONS = Path(__file__).with_name("questions.jsonl")
TOP_K = 6


def questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]}


def gold_found(texts: list[str], gold: str) -> bool:
    pattern = re.compile(gold, re.IGNORECASE)
    return any(pattern.search(re.sub(r"\s+", " ", t)) for t in texts)


class TimedEncoder:
    """Wraps an encoder and adds up the seconds spent inside it."""

    def __init__(self, encoder):
        self.encoder, self.seconds, self.texts = encoder, 0.0, 0

    def embed(self, texts):
        started = time.perf_counter()
        try:
            return self.encoder.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)

    def embed_with_spans(self, texts, spans):
        started = time.perf_counter()
        try:
            return self.encoder.embed_with_spans(texts, spans)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


def make_assistant(args, **overrides):
    from rag import Assistant

    settings = dict(index_dir=Path(args.index), fast=True, **overrides)
    if args.chroma_url:
        settings["chroma_url"] = args.chroma_url
    if args.lexical_url:
        settings["lexical_url"] = args.lexical_url
    if getattr(args, "corpus", None):
        settings["corpus_dir"] = Path(args.corpus)
    assistant = Assistant(**settings)
    if args.stand_in:
        from bench.standin import StandInEncoder

        assistant.embedder = StandInEncoder()
    return assistant


def run_ingest(args) -> dict:
    assistant = make_assistant(args)
    encoder = TimedEncoder(assistant.embedder)
    assistant.embedder = encoder
    report = assistant.index(Path(args.corpus))
    return {"documents": len(report.added), "chunks": report.chunks, "seconds": report.seconds,
            "chunks_per_s": report.chunks / report.seconds, "encoder_seconds": encoder.seconds,
            "encoded_texts": encoder.texts, "encoder_share": encoder.seconds / report.seconds,
            "peak_rss_mb": peak_rss_mb(), "skipped": len(report.skipped)}


def run_answer(args) -> dict:
    started = time.perf_counter()
    assistant = make_assistant(args)
    engine = assistant.engine()
    startup = time.perf_counter() - started
    rss_ready = peak_rss_mb()
    qs = questions()
    retriever = engine.retriever
    embed = assistant._embed_query

    modes = {
        "dense": lambda q: [c.text for c, _ in assistant.store.query(embed(q), TOP_K)],
        "lexical": lambda q: [c.text for c, _ in retriever.lexical_hits(q, TOP_K, [])],
        "hybrid": lambda q: [s.chunk.text for s in retriever.search(q, TOP_K)],
    }
    result = {"startup_s": startup, "rss_ready_mb": rss_ready, "chunks": assistant.store.count()}
    for name, search in modes.items():
        for q in qs[:3]:
            search(q["question"])  # warm caches (as a running app is)
        seconds, found = [], 0
        for q in qs:
            t = time.perf_counter()
            texts = search(q["question"])
            seconds.append(time.perf_counter() - t)
            found += gold_found(texts, q["gold"])
        result[name] = {**percentiles(seconds), "gold_in_top6": found, "questions": len(qs)}

    seconds = []
    for q in qs:
        t = time.perf_counter()
        assistant.ask(q["question"])
        seconds.append(time.perf_counter() - t)
    result["ask"] = {**percentiles(seconds), "total_s": sum(seconds)}
    if args.clients:
        result["clients"] = concurrent_answers(assistant, qs, args.clients)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def concurrent_answers(assistant, qs: list[dict], clients: int) -> dict:
    """Answers per second with ``clients`` concurrent clients through the OpenAI-compatible /v1 API."""
    import socket

    import uvicorn
    from fastapi import FastAPI
    from openai import OpenAI

    from rag.serve.http_api import add_openai_api

    app = FastAPI()
    add_openai_api(app, assistant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    errors: list[str] = []

    def client(n: int) -> None:
        api = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", timeout=600)
        for q in qs[n::clients] + qs[: len(qs) // clients]:  # every client asks about as many questions
            try:
                api.chat.completions.create(model="rag", messages=[{"role": "user", "content": q["question"]}])
            except Exception as exc:  # counted, not raised: the figure is throughput
                errors.append(str(exc))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    asked = sum(len(qs[n::clients] + qs[: len(qs) // clients]) for n in range(clients))
    server.should_exit = True
    return {"clients": clients, "answers": asked - len(errors), "errors": len(errors),
            "answers_per_s": (asked - len(errors)) / elapsed}


def run_peer(args) -> dict:
    """LlamaIndex's own pipeline on the same texts and encoder: SimpleDirectoryReader, SentenceSplitter
    (same chunk size and tokenizer), VectorStoreIndex (its default in-memory vector store)."""
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    from rag.models.embedding import MiniLMOnnxEmbedding
    from rag.settings import Settings
    from rag.tokens import tiktoken_tokenizer

    if args.stand_in:
        from bench.standin_embedding import StandInEmbedding

        embed_model = StandInEmbedding()
    else:
        embed_model = MiniLMOnnxEmbedding()
    defaults = Settings()
    started = time.perf_counter()
    docs = SimpleDirectoryReader(args.corpus, exclude_hidden=False).load_data()  # the cache is .cache/
    splitter = SentenceSplitter(chunk_size=defaults.chunk_tokens, chunk_overlap=defaults.chunk_overlap,
                                tokenizer=tiktoken_tokenizer())
    index = VectorStoreIndex.from_documents(docs, embed_model=embed_model, transformations=[splitter])
    build = time.perf_counter() - started
    chunks = len(index.index_struct.nodes_dict)
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    qs = questions()
    for q in qs[:3]:
        retriever.retrieve(q["question"])
    seconds, found = [], 0
    for q in qs:
        t = time.perf_counter()
        nodes = retriever.retrieve(q["question"])
        seconds.append(time.perf_counter() - t)
        found += gold_found([n.node.get_content() for n in nodes], q["gold"])
    return {"chunks": chunks, "build_s": build, "chunks_per_s": chunks / build,
            "dense": {**percentiles(seconds), "gold_in_top6": found, "questions": len(qs), "total_s": sum(seconds)},
            "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("ingest", "answer", "peer"))
    parser.add_argument("--corpus")
    parser.add_argument("--index")
    parser.add_argument("--stand-in", action="store_true")
    parser.add_argument("--chroma-url")
    parser.add_argument("--lexical-url")
    parser.add_argument("--clients", type=int, default=0)
    args = parser.parse_args()
    run = {"ingest": run_ingest, "answer": run_answer, "peer": run_peer}[args.what]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
