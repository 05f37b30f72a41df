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
import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, HTTPException  # noqa: E402
from fastapi.responses import FileResponse  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402

from eval.gold import GoldError, load_gold  # noqa: E402
from eval.judge import judge_accuracy, load_judge_set  # noqa: E402
from eval.report import latest_report, new_report_dir, report_file, report_view, write_report  # noqa: E402
from eval.run import default_judge  # noqa: E402
from eval.run import run as run_eval

from .. import Assistant, Settings, SettingsError  # noqa: E402
from ..answer.conversation import message_text  # noqa: E402
from ..errors import RagError  # noqa: E402
from ..index.ingest import described_progress  # noqa: E402
from ..index.uploads import received_uploads, save_uploads  # noqa: E402
from .access import admin_key, check_change, check_model_url  # noqa: E402
from .admission import PerClient  # noqa: E402
from .chat_view import (  # noqa: E402
    CHAT_VIEW_CSS,
    CHAT_VIEW_HEAD,
    SHOWN_ANSWERS,
    chat_choices,
    link_markers,
    opened_chat,
    saved_with,
    sources_html,
)
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
MODEL_FIELDS = ("backend", "base_url", "model")  # these make the server call a model server: admin only


class AppState:
    """The shared assistant (the one /v1 answers from too) and the assistants derived for visitors who
    changed settings in their session, one per distinct setup, dropped when the index changes."""

    def __init__(self, assistant: Assistant, listening_on: str):
        self.assistant = assistant
        self.listening_on = listening_on
        self._derived: dict[tuple, Assistant] = {}

    def for_session(self, changes: dict | None) -> Assistant:
        if not changes:
            return self.assistant
        key = tuple(sorted(changes.items()))
        if key not in self._derived:
            if len(self._derived) >= 8:  # a bound on memory: the oldest setup goes
                self._derived.pop(next(iter(self._derived)))
            self._derived[key] = self.assistant.derive(**changes)
        return self._derived[key]

    def index_changed(self) -> None:
        self._derived.clear()

    def allow_change(self, key: str | None) -> None:
        check_change(self.assistant.settings, key, self.listening_on)

    def documents_table(self) -> list[list]:
        return [[d["doc_id"], d["title"], d["date"] or "", d["chunks"]] for d in self.assistant.documents()]


def indexing_progress(bar: gr.Progress):
    """An ingest progress callback that moves a Gradio progress bar and says the rate and time left."""
    return described_progress(lambda share, text: bar(share, desc=text))


def build_app(assistant: Assistant, listening_on: str = "127.0.0.1", clients: PerClient | None = None) -> gr.Blocks:
    """The Gradio UI over ``assistant``; ``listening_on`` is the address the app serves (see rag/serve/access.py);
    ``clients``: the per-address bound on questions, shared with /v1 (rag/serve/admission.py)."""
    state = AppState(assistant, listening_on)
    clients = clients or PerClient(assistant.settings.max_questions_per_client)
    max_bytes = int(assistant.settings.max_upload_mb * 1e6)

    def respond(message: str, history: list[dict], session: dict | None, answers: list, request: gr.Request):
        turns = [{"role": m["role"], "content": message_text(m.get("content"))} for m in history]
        history = history + [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        answers = list(answers or [])
        turn = (answers[-1][0] + 1) if answers else 1
        client = clients.admit(request.client.host if request and request.client else None)
        if client is None:
            history[-1]["content"] = f"⚠️ {html.escape(clients.busy_message(), quote=False)}"
            yield history, sources_html(answers), "", answers
            return
        yield history, sources_html(answers), "", answers
        try:
            shown = answers
            for partial in state.for_session(session).stream_answers(message, turns):
                history[-1]["content"] = (link_markers(partial.text, turn)
                                          or f"_{html.escape(partial.status or '…')}_")
                shown = answers + [(turn, partial)]
                yield history, sources_html(shown), "", answers
            answers = shown[-SHOWN_ANSWERS:]
        except RagError as exc:
            history[-1]["content"] = f"⚠️ {html.escape(str(exc), quote=False)}"
        finally:
            client()
        yield history, sources_html(answers), "", answers

    def refusal(key) -> tuple | None:
        """(table, message) when this visitor may not change the corpus, else None."""
        try:
            state.allow_change(key)
        except RagError as exc:
            return state.documents_table(), f"⚠️ {exc}"
        return None

    def upload(files, key, progress=gr.Progress()):
        if denied := refusal(key):
            return denied
        if not files:
            return state.documents_table(), "Choose files to add."
        received, refused = received_uploads(files, get_upload_folder(), max_bytes)
        folder = assistant.corpus_folder()
        saved = save_uploads(received, folder, assistant.document_hashes(), max_bytes,
                             assistant.settings.max_document_chars, assistant.settings.max_read_seconds)
        saved.skipped[:0] = refused
        status = saved.summary()
        if saved.saved:
            report = assistant.index(folder, progress=indexing_progress(progress))
            state.index_changed()
            status += "\n" + report.summary(paths=False)
        return state.documents_table(), html.escape(status).replace("\n", "  \n")

    def remove(doc_id: str, key):
        if denied := refusal(key):
            return denied
        if not doc_id:
            return state.documents_table(), "Type the document id to remove."
        known = {d["doc_id"] for d in assistant.documents()}
        if doc_id not in known:
            return state.documents_table(), f"No document {html.escape(doc_id)!r} in the index."
        moved = assistant.remove_document(doc_id, set_aside=True)
        state.index_changed()
        note = " Its file is kept in the index folder's removed-documents/." if moved else ""
        return state.documents_table(), f"Removed {html.escape(doc_id)} from the index.{note}"

    def rebuild(key, progress=gr.Progress()):
        if denied := refusal(key):
            return denied
        report = assistant.index(assistant.corpus_folder(), rebuild=True, progress=indexing_progress(progress))
        state.index_changed()
        return state.documents_table(), "Rebuilt. " + html.escape(report.summary(paths=False)).replace("\n", "  \n")

    def apply_settings(backend, base_url, model, top_k, hybrid, temperature, key, session):
        shared = assistant.settings
        wanted = {"backend": backend, "base_url": base_url or None, "model": model or None,
                  "top_k": int(top_k), "hybrid": bool(hybrid), "temperature": float(temperature)}
        changes = {k: v for k, v in wanted.items() if v != getattr(shared, k)}
        try:
            if any(k in changes for k in MODEL_FIELDS):
                state.allow_change(key)
                if wanted["base_url"]:
                    check_model_url(wanted["base_url"], shared.allow_private_model_urls)
                if "base_url" in changes:
                    changes["api_key"] = None  # the server's key goes to the server it was set for, only
            new = shared.replace(**changes)
            if new.backend == "openai" and not new.model:
                raise SettingsError("the OpenAI backend needs a model name (e.g. gpt-4o-mini)")
        except RagError as exc:
            return f"⚠️ {exc}", session
        described = ", ".join(f"{k}={v}" for k, v in changes.items() if k != "api_key") or "the app's defaults"
        return f"Settings applied to your session: {described}.", (changes or None)

    def evaluate(key, session, questions=0, progress=gr.Progress()):
        try:
            state.allow_change(key)
            items = load_gold(corpus_dir=assistant.corpus_folder())
            items = items[: int(questions)] if questions and int(questions) > 0 else items  # a quick check
        except GoldError as exc:
            return [], "", None, f"⚠️ The gold set is written for the bundled corpus: {html.escape(str(exc)[:300])}"
        except RagError as exc:
            return [], "", None, f"⚠️ {exc}"
        chosen = state.for_session(session)
        judge = default_judge(chosen)
        results = run_eval(chosen, items, judge, progress=lambda xs: progress.tqdm(xs, desc="questions"))
        folder = new_report_dir()
        s = chosen.settings
        write_report(folder, {"assistant": results}, {
            "started": folder.name, "gold": "gold.jsonl", "questions": len(items),
            "judge": f"lexical (accuracy {judge_accuracy(judge, load_judge_set())['accuracy']:.2f} on the judge set)",
            "settings": f"backend={s.backend}, top_k={s.top_k}, hybrid={s.hybrid}"})
        return report_view(folder)

    def background_ingest(opening: bool = False):
        """The background ingest's progress (its last word when it has just ended); the timer runs while it does."""
        job = assistant.ingest_job()
        if job is None or (opening and not job.running):
            return "", gr.Timer(active=False)
        if not job.running:
            state.index_changed()
        return html.escape(job.describe()), gr.Timer(active=job.running)

    def save_chat(messages, answers, chats, chat_id):
        chats, chat_id = saved_with(list(chats or []), chat_id, messages or [], answers or [])
        return chats, chat_id, gr.update(choices=chat_choices(chats), value=chat_id)

    def open_chat(chosen, chats):
        opened = opened_chat(chats or [], chosen)
        if opened is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        messages, restored = opened
        return messages, restored, sources_html(restored), chosen

    def delete_chat(chosen, chats, chat_id):
        chats = [c for c in chats or [] if c.get("id") != chosen]
        emptied = chosen == chat_id  # the open chat was deleted: the view is cleared with it
        return (chats, gr.update(choices=chat_choices(chats), value=None),
                *(([], [], sources_html([]), None) if emptied else (gr.skip(),) * 4))

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
            box.submit(respond, [box, chat, session, answers], [chat, sources, box, answers], api_name="respond").then(
                save_chat, [chat, answers, saved, chat_id], [saved, chat_id, chats], api_visibility="private")
            open_button_chat.click(open_chat, [chats, saved], [chat, answers, sources, chat_id], api_visibility="private")
            delete_button.click(delete_chat, [chats, saved, chat_id], [saved, chats, chat, answers, sources, chat_id],
                                api_visibility="private")
            new_button.click(lambda: ([], [], sources_html([]), None, None), None,
                             [chat, answers, sources, chat_id, chats], api_visibility="private")
            demo.load(lambda kept: gr.update(choices=chat_choices(kept or [])), saved, chats, api_visibility="private")
            demo.load(lambda: background_ingest(opening=True), None, [ingest_status, ticker],
                      api_visibility="private", queue=False)
            ticker.tick(background_ingest, None, [ingest_status, ticker], api_visibility="private", queue=False)
            apply.click(apply_settings, [backend, base_url, model, top_k, hybrid, temperature, key, session],
                        [settings_status, session], api_name="apply_settings")
        with gr.Tab("Corpus"):
            table = gr.Dataframe(state.documents_table(), headers=["doc_id", "title", "date", "chunks"],
                                 interactive=False, wrap=True)
            files = gr.File(label=f"Add documents (.txt .md .html .pdf, up to {s.max_upload_mb:g} MB each)",
                            file_count="multiple", file_types=UPLOAD_TYPES)
            with gr.Row():
                add = gr.Button("Add to the index")
                doc_id = gr.Textbox(label="Document id to remove")
                drop = gr.Button("Remove")
                rebuild_button = gr.Button("Rebuild the index")
            corpus_status = gr.Markdown()
            add.click(upload, [files, key], [table, corpus_status], api_name="upload")
            drop.click(remove, [doc_id, key], [table, corpus_status], api_name="remove_document")
            rebuild_button.click(rebuild, key, [table, corpus_status], api_name="rebuild")
        with gr.Tab("Eval"):
            gr.Markdown("The faithfulness eval asks the gold questions (`eval/gold.jsonl`) with your session's "
                        "settings and checks every claim and citation. See the README for the metrics.")
            with gr.Row():
                questions = gr.Number(value=0, precision=0, minimum=0, label="Questions (0: all; a few for a quick check)")
                run_button = gr.Button("Run the eval", variant="primary")
                open_button = gr.Button("Open the latest report")
            eval_status = gr.Markdown()
            with gr.Row():
                summary = gr.Dataframe(headers=["metric", "value"], interactive=False, elem_id="eval-summary")
                chart = gr.Image(label="Metrics", type="pil", interactive=False)
            failure_list = gr.Markdown()
            run_button.click(evaluate, [key, session, questions], [summary, failure_list, chart, eval_status],
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
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"UI: http://{args.host}:{args.port}/   API: http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(create_server(assistant, args.host), host=args.host, port=args.port, log_level="warning",
                forwarded_allow_ips=list(assistant.settings.trusted_proxies))


if __name__ == "__main__":
    main()
