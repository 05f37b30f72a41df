"""Index: documents in, searchable chunks out.

corpus (read a folder; html_text, reader_process: readers in a worker with a time limit) -> ingest (chunk
with tiktoken, embed, write) -> store (Chroma: vectors and chunks) and lexical (BM25: SQLite in-process, or
PostgreSQL by setting); uploads (files added through the app), background (an ingest beside answering).
Imports rag's shared modules and rag.models (the encoder), never rag.answer or rag.serve.
"""
