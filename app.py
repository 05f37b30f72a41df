"""The web app on the corpus: `python app.py [--host H] [--port P]` (the same as `rag serve`).

Chat with cited answers, the corpus (upload, remove, rebuild), settings and the eval, plus the
OpenAI-compatible API at /v1: see rag/serve/web.py.
"""

from rag.serve.web import main

if __name__ == "__main__":
    main()
