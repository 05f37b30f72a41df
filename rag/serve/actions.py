"""What each event of the web UI does (rag/serve/web.py lays the UI out and wires these to it): the shared
assistant and the ones derived for visitors' sessions (``AppState``), and the handlers (``Actions``): a question
streamed into the chat, an upload, a removal, a rebuild, a session's settings, the eval, the saved chats.

Every change others would see is checked by rag/serve/access.py first; everything from documents is escaped.
"""

from __future__ import annotations

import html

import gradio as gr
from gradio.utils import get_upload_folder

from eval.gold import GoldError, load_gold
from eval.judge import judge_accuracy, load_judge_set
from eval.report import new_report_dir, report_view, write_report
from eval.run import default_judge
from eval.run import run as run_eval

from .. import Assistant, SettingsError
from ..answer.conversation import message_text
from ..errors import RagError
from ..index.background import IngestJob
from ..index.ingest import described_progress
from ..index.uploads import received_uploads, save_uploads
from .access import check_change, check_model_url
from .admission import PerClient
from .chat_view import SHOWN_ANSWERS, chat_choices, link_markers, opened_chat, saved_with, sources_html

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


class Actions:
    """The UI's event handlers over one ``AppState``; ``clients``: the per-address bound on questions, shared
    with /v1 (rag/serve/admission.py)."""

    def __init__(self, assistant: Assistant, listening_on: str = "127.0.0.1", clients: PerClient | None = None):
        self.assistant = assistant
        self.state = AppState(assistant, listening_on)
        self.clients = clients or PerClient(assistant.settings.max_questions_per_client)
        self.max_bytes = int(assistant.settings.max_upload_mb * 1e6)
        self._ended_job: IngestJob | None = None

    def respond(self, message: str, history: list[dict], session: dict | None, answers: list, request: gr.Request):
        turns = [{"role": m["role"], "content": message_text(m.get("content"))} for m in history]
        history = history + [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        answers = list(answers or [])
        turn = (answers[-1][0] + 1) if answers else 1
        client = self.clients.admit(request.client.host if request and request.client else None)
        if client is None:
            history[-1]["content"] = f"⚠️ {html.escape(self.clients.busy_message(), quote=False)}"
            yield history, sources_html(answers), "", answers
            return
        yield history, sources_html(answers), "", answers
        try:
            shown = answers
            for partial in self.state.for_session(session).stream_answers(message, turns):
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

    def refusal(self, key) -> tuple | None:
        """(table, message) when this visitor may not change the corpus, else None."""
        try:
            self.state.allow_change(key)
        except RagError as exc:
            return self.state.documents_table(), f"⚠️ {exc}"
        return None

    def upload(self, files, key, progress=gr.Progress()):
        if denied := self.refusal(key):
            return denied
        if not files:
            return self.state.documents_table(), "Choose files to add."
        received, refused = received_uploads(files, get_upload_folder(), self.max_bytes)
        folder = self.assistant.corpus_folder()
        saved = save_uploads(received, folder, self.assistant.document_hashes(), self.max_bytes,
                             self.assistant.settings.max_document_chars, self.assistant.settings.max_read_seconds)
        saved.skipped[:0] = refused
        status = saved.summary()
        if saved.saved:
            report = self.assistant.index(folder, progress=indexing_progress(progress))
            self.state.index_changed()
            status += "\n" + report.summary(paths=False)
        return self.state.documents_table(), html.escape(status).replace("\n", "  \n")

    def remove(self, doc_id: str, key):
        if denied := self.refusal(key):
            return denied
        if not doc_id:
            return self.state.documents_table(), "Type the document id to remove."
        known = {d["doc_id"] for d in self.assistant.documents()}
        if doc_id not in known:
            return self.state.documents_table(), f"No document {html.escape(doc_id)!r} in the index."
        moved = self.assistant.remove_document(doc_id, set_aside=True)
        self.state.index_changed()
        note = " Its file is kept in the index folder's removed-documents/." if moved else ""
        return self.state.documents_table(), f"Removed {html.escape(doc_id)} from the index.{note}"

    def rebuild(self, key, progress=gr.Progress()):
        if denied := self.refusal(key):
            return denied
        report = self.assistant.index(self.assistant.corpus_folder(), rebuild=True,
                                      progress=indexing_progress(progress))
        self.state.index_changed()
        summary = html.escape(report.summary(paths=False)).replace("\n", "  \n")
        return self.state.documents_table(), "Rebuilt. " + summary

    def apply_settings(self, backend, base_url, model, top_k, hybrid, temperature, key, session):
        shared = self.assistant.settings
        wanted = {"backend": backend, "base_url": base_url or None, "model": model or None,
                  "top_k": int(top_k), "hybrid": bool(hybrid), "temperature": float(temperature)}
        changes = {k: v for k, v in wanted.items() if v != getattr(shared, k)}
        try:
            if any(k in changes for k in MODEL_FIELDS):
                self.state.allow_change(key)
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

    def evaluate(self, key, session, questions=0, progress=gr.Progress()):
        try:
            self.state.allow_change(key)
            items = load_gold(corpus_dir=self.assistant.corpus_folder())
            items = items[: int(questions)] if questions and int(questions) > 0 else items  # a quick check
        except GoldError as exc:
            return [], "", None, f"⚠️ The gold set is written for the bundled corpus: {html.escape(str(exc)[:300])}"
        except RagError as exc:
            return [], "", None, f"⚠️ {exc}"
        chosen = self.state.for_session(session)
        judge = default_judge(chosen)
        results = run_eval(chosen, items, judge, progress=lambda xs: progress.tqdm(xs, desc="questions"))
        folder = new_report_dir()
        s = chosen.settings
        write_report(folder, {"assistant": results}, {
            "started": folder.name, "gold": "gold.jsonl", "questions": len(items),
            "judge": f"lexical (accuracy {judge_accuracy(judge, load_judge_set())['accuracy']:.2f} on the judge set)",
            "settings": f"backend={s.backend}, top_k={s.top_k}, hybrid={s.hybrid}"})
        return report_view(folder)

    def background_ingest(self, opening: bool = False):
        """The background ingest's progress (its last word once it has ended) and the background screen's; the
        timer runs while either does."""
        job, screen = self.assistant.ingest_job(), self.assistant.screen_job()
        if job is not None and not job.running and job is not self._ended_job:
            self._ended_job = job  # the engine over the new index is in place: sessions' own setups rebuild
            self.state.index_changed()
        lines = [j.describe() for j in (job, screen) if j is not None and (j.running or not opening)]
        return html.escape(" ".join(lines)), gr.Timer(active=any(j is not None and j.running for j in (job, screen)))

    def save_chat(self, messages, answers, chats, chat_id):
        chats, chat_id = saved_with(list(chats or []), chat_id, messages or [], answers or [])
        return chats, chat_id, gr.update(choices=chat_choices(chats), value=chat_id)

    def open_chat(self, chosen, chats):
        opened = opened_chat(chats or [], chosen)
        if opened is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        messages, restored = opened
        return messages, restored, sources_html(restored), chosen

    def delete_chat(self, chosen, chats, chat_id):
        chats = [c for c in chats or [] if c.get("id") != chosen]
        emptied = chosen == chat_id  # the open chat was deleted: the view is cleared with it
        return (chats, gr.update(choices=chat_choices(chats), value=None),
                *(([], [], sources_html([]), None) if emptied else (gr.skip(),) * 4))
