"""Serve: the assistant to its users. web (the Gradio app), http_api (the OpenAI-compatible /v1),
chat_view (the chat's rendering), access (who may change the corpus), admission (bounded work per client),
cli (the `rag` command). Uses the public API (rag.Assistant) and the answer's view types.
"""
