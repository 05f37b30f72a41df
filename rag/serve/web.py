"""Gradio chat over the corpus, plus an OpenAI-compatible API: `rag serve` or `python app.py` (127.0.0.1:7860).

* Chat: answers stream sentence by sentence (each already checked by the citation guard); markers
  [n] are links that bring the source into view in the panel beside the chat, where each cited
  article is listed with its passage and the quoted span highlighted.
* Corpus: the indexed documents with metadata and chunk counts; upload, remove, rebuild.
* Settings: backend, model server, top-k, hybrid retrieval, temperature (validated); they apply to the
  visitor's own session, never to other visitors.
* Eval: run the faithfulness eval (eval/) on the current settings, or open the latest report.
* /v1/chat/completions, /v1/embeddings and /v1/models next to the UI (see rag/serve/http_api.py), from the
  same assistant.

Shared safely (see rag/serve/access.py): reading is open; every change others would see (upload, remove,
rebuild, the model server, the eval) needs the admin key once RAG_ADMIN_KEY or RAG_SERVER_API_KEY is
set, and is refused on a non-loopback address without one. Uploads are file contents only: a server
path handed to an endpoint is refused. Everything that comes from documents is escaped: it is shown as
text, never run as HTML or rendered as a Markdown link or image.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, HTTPException  # noqa: E402
from fastapi.responses import FileResponse  # noqa: E402

from eval.report import latest_report, report_file, report_view  # noqa: E402

from .. import Assistant, Settings  # noqa: E402
from ..errors import RagError  # noqa: E402
from .access import admin_key  # noqa: E402
from .actions import Actions  # noqa: E402
from .admission import PerClient  # noqa: E402
from .chat_view import CHAT_VIEW_CSS, CHAT_VIEW_HEAD, chat_choices, sources_html  # noqa: E402
from .http_api import add_openai_api  # noqa: E402

EXAMPLES = [
    "Did China deny the freeze?",
    "Who is Alexander Sergeev?",
    "What do China and Russia plan to build on the moon?",
    "Why did China sanction Russian scientists?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]
# Events waiting in the Gradio queue (4 run at once); past it a visitor is told the queue is full at once
# instead of waiting behind an unbounded line (32: about two minutes of answers with the judge on 2 cores).
QUEUE_SIZE = 32


def build_app(assistant: Assistant, listening_on: str = "127.0.0.1", clients: PerClient | None = None) -> gr.Blocks:
    """The Gradio UI over ``assistant``; ``listening_on`` is the address the app serves (see rag/serve/access.py);
    ``clients``: the per-address bound on questions, shared with /v1 (rag/serve/admission.py)."""
    act = Actions(assistant, listening_on, clients)
    s = assistant.settings
    keyed = bool(admin_key(s))
    # Files posted to Gradio's upload endpoint (anyone may post them) are deleted after a day, checked hourly:
    # an upload the admin adds is copied into the corpus at once, so nothing the index needs is lost.
    with gr.Blocks(title="Cited answers", delete_cache=(3600, 86400)) as demo:
        gr.Markdown("## Ask the documents\nEvery sentence is backed by a verbatim quote: click a marker "
                    "[n] to see it in its document. When the documents don't answer, the assistant says so.")
        # An ingest resumed at start-up runs in the background: its progress shows here until it ends.
        ingest_status = gr.Markdown(elem_id="ingest-status")
        ticker = gr.Timer(3, active=False)
        session = gr.State(None)  # this visitor's answer settings (None: the app's)
        answers = gr.State([])  # (turn, Answer) of this visitor's chat, for the sources panel
        # This browser's saved chats (its localStorage, never the server's disk) and the open chat's id.
        saved = gr.BrowserState([], storage_key="cited-rag-chats")
        chat_id = gr.State(None)
        key = gr.Textbox(label="Admin key (needed to change the corpus, the model server or run the eval)",
                         type="password", visible=keyed, elem_id="admin-key")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    with gr.Row(elem_id="saved-chats"):
                        chats = gr.Dropdown([], value=None, label="Saved chats (kept in this browser)",
                                            elem_id="chat-list", scale=3)
                        open_button_chat = gr.Button("Open", elem_id="open-chat", scale=0)
                        delete_button = gr.Button("Delete", elem_id="delete-chat", scale=0)
                        new_button = gr.Button("New chat", elem_id="new-chat", scale=0)
                    chat = gr.Chatbot(label="Chat", height=460, elem_id="chat")
                    box = gr.Textbox(label="Question", placeholder="Did China deny the freeze?", elem_id="question")
                    gr.Examples(EXAMPLES, inputs=box)
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html([]), elem_id="sources")
            with gr.Accordion("Settings (for your session)", open=False):
                backend = gr.Radio(["local", "openai", "openai-compatible"], value=s.backend, label="Backend")
                base_url = gr.Textbox(value=s.base_url or "", label="OpenAI-compatible URL",
                                      placeholder="http://127.0.0.1:8080/v1")
                model = gr.Textbox(value=s.model or "", label="Model name")
                top_k = gr.Slider(1, 20, value=s.top_k, step=1, label="Passages retrieved (top-k)")
                hybrid = gr.Checkbox(value=s.hybrid, label="Hybrid retrieval (dense + BM25)")
                temperature = gr.Slider(0, 2, value=s.temperature, step=0.1, label="Temperature (remote models)")
                apply = gr.Button("Apply")
                settings_status = gr.Markdown()
            box.submit(act.respond, [box, chat, session, answers], [chat, sources, box, answers],
                       api_name="respond").then(act.save_chat, [chat, answers, saved, chat_id], [saved, chat_id, chats],
                                                api_visibility="private")
            open_button_chat.click(act.open_chat, [chats, saved], [chat, answers, sources, chat_id],
                                   api_visibility="private")
            delete_button.click(act.delete_chat, [chats, saved, chat_id],
                                [saved, chats, chat, answers, sources, chat_id], api_visibility="private")
            new_button.click(lambda: ([], [], sources_html([]), None, None), None,
                             [chat, answers, sources, chat_id, chats], api_visibility="private")
            demo.load(lambda kept: gr.update(choices=chat_choices(kept or [])), saved, chats, api_visibility="private")
            demo.load(lambda: act.background_ingest(opening=True), None, [ingest_status, ticker],
                      api_visibility="private", queue=False)
            ticker.tick(act.background_ingest, None, [ingest_status, ticker], api_visibility="private", queue=False)
            apply.click(act.apply_settings, [backend, base_url, model, top_k, hybrid, temperature, key, session],
                        [settings_status, session], api_name="apply_settings")
        with gr.Tab("Corpus"):
            table = gr.Dataframe(act.state.documents_table(), headers=["doc_id", "title", "date", "chunks"],
                                 interactive=False, wrap=True)
            files = gr.File(label=f"Add documents (.txt .md .html .pdf, up to {s.max_upload_mb:g} MB each)",
                            file_count="multiple", file_types=UPLOAD_TYPES)
            with gr.Row():
                add = gr.Button("Add to the index")
                doc_id = gr.Textbox(label="Document id to remove")
                drop = gr.Button("Remove")
                rebuild_button = gr.Button("Rebuild the index")
            corpus_status = gr.Markdown()
            add.click(act.upload, [files, key], [table, corpus_status], api_name="upload")
            drop.click(act.remove, [doc_id, key], [table, corpus_status], api_name="remove_document")
            rebuild_button.click(act.rebuild, key, [table, corpus_status], api_name="rebuild")
        with gr.Tab("Eval"):
            gr.Markdown("The faithfulness eval asks the gold questions (`eval/gold.jsonl`) with your session's "
                        "settings and checks every claim and citation. See the README for the metrics.")
            with gr.Row():
                questions = gr.Number(value=0, precision=0, minimum=0,
                                      label="Questions (0: all; a few for a quick check)")
                run_button = gr.Button("Run the eval", variant="primary")
                open_button = gr.Button("Open the latest report")
            eval_status = gr.Markdown()
            with gr.Row():
                summary = gr.Dataframe(headers=["metric", "value"], interactive=False, elem_id="eval-summary")
                chart = gr.Image(label="Metrics", type="pil", interactive=False)
            failure_list = gr.Markdown()
            run_button.click(act.evaluate, [key, session, questions], [summary, failure_list, chart, eval_status],
                             api_name="run_eval")
            open_button.click(lambda: report_view(latest_report()), None, [summary, failure_list, chart, eval_status],
                              api_name="latest_eval")
    return demo


def create_server(assistant: Assistant, listening_on: str = "127.0.0.1") -> FastAPI:
    """The FastAPI app: /v1 (OpenAI-compatible), eval reports at /reports, and the Gradio UI at /."""
    server = FastAPI(title="Cited answers")
    clients = PerClient(assistant.settings.max_questions_per_client)  # one bound for the UI and /v1 together
    add_openai_api(server, assistant, clients)

    @server.get("/reports/{name}/{file}")
    def report(name: str, file: str):
        path = report_file(name, file)
        if path is None:
            raise HTTPException(404)
        return FileResponse(path)

    demo = build_app(assistant, listening_on, clients).queue(default_concurrency_limit=4, max_size=QUEUE_SIZE)
    app = gr.mount_gradio_app(server, demo, path="/", head=CHAT_VIEW_HEAD, css=CHAT_VIEW_CSS, footer_links=[],
                              max_file_size=int(assistant.settings.max_upload_mb * 1e6))
    # Gradio checks that a file handed to an endpoint was uploaded (not any path on the server) only for
    # apps that ran launch(); a mounted app never does, so its check would be skipped. Turn it on.
    demo.has_launched = True
    return app


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"),
                        help="address to listen on (default: RAG_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")),
                        help="port (default: RAG_PORT or 7860)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    serve(parser.parse_args(argv))


def serve(args: argparse.Namespace) -> None:
    """Index the corpus if needed, then serve the UI and /v1 until stopped."""
    try:
        assistant = Assistant(Settings.from_env())
        print(f"index: {assistant.store.count()} chunks; building if needed ...", flush=True)
        if assistant.open_for_serving() is not None:
            print("an interrupted ingest resumes in the background; questions are answered meanwhile", flush=True)
        if assistant.screen_in_background() is not None:
            print("passages not yet screened for instructions to an AI are read while no question is asked",
                  flush=True)
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"UI: http://{args.host}:{args.port}/   API: http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(create_server(assistant, args.host), host=args.host, port=args.port, log_level="warning",
                forwarded_allow_ips=list(assistant.settings.trusted_proxies))


if __name__ == "__main__":
    main()
