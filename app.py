"""Gradio chat over the corpus, plus an OpenAI-compatible API: `python app.py` (127.0.0.1:7860).

* Chat: answers stream sentence by sentence (each already checked by the citation guard); markers
  [n] are links that bring the source into view in the panel beside the chat, where each cited
  article is listed with its passage and the quoted span highlighted.
* Corpus: the indexed documents with metadata and chunk counts; upload, remove, rebuild.
* Settings: backend, model server, top-k, hybrid retrieval, temperature (validated).
* Eval: run the faithfulness eval (eval/) on the current settings, or open the latest report.
* /v1/chat/completions and /v1/models next to the UI (see rag/http_api.py).

Everything that comes from documents is escaped: it is shown as text, never run as HTML.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from rag import Assistant, Settings, SettingsError  # noqa: E402
from rag.http_api import openai_router  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.text import normalize  # noqa: E402

from eval.gold import GoldError, load_gold  # noqa: E402
from eval.report import fmt, latest_report, new_report_dir, write_report  # noqa: E402
from eval.judge import judge_accuracy, load_judge_set  # noqa: E402
from eval.run import default_judge  # noqa: E402
from eval.run import run as run_eval  # noqa: E402

EXAMPLES = [
    "Did China deny the freeze?",
    "Who is Alexander Sergeev?",
    "What do China and Russia plan to build on the moon?",
    "Why did China sanction Russian scientists?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]

# A click on a marker [n] in the chat scrolls the sources panel to source n and flashes it.
HEAD = """<script>
document.addEventListener('click', function (event) {
  const link = event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault(); event.stopPropagation();
  const target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  target.scrollIntoView({behavior: 'smooth', block: 'center'});
  target.classList.add('flash');
  setTimeout(function () { target.classList.remove('flash'); }, 1600);
}, true);
</script>"""
CSS = """
.source {border:1px solid #ddd; border-radius:8px; padding:8px 10px; margin:8px 0; scroll-margin:40px}
.source.flash {outline:3px solid #f5b301}
.source .passage {font-size:.9em; color:#444; white-space:pre-wrap}
.source mark {background:#fff1a8; padding:0 1px}
.abstained {color:#8a5a00}
"""


def message_text(content) -> str:
    """Chat message content as plain text (Gradio 6 sends a list of {"type": "text", "text"} parts)."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def link_markers(text: str) -> str:
    """Answer text, escaped, with each marker [n] turned into a link to source n."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"\[(\d+)\]", r"[\\[\1\\]](#src-\1)", escaped)


def sources_html(answer) -> str:
    """The latest answer's sources: title, date, document id, the passage with the quote highlighted."""
    if answer is None:
        return "<p>Sources of the latest answer appear here.</p>"
    e = html.escape
    if answer.abstained:
        items = "".join(f"<li>{e(s['title'])} (<code>{e(s['doc_id'])}</code>"
                        f"{', ' + e(s['date']) if s.get('date') else ''})</li>" for s in answer.sources[:3])
        return (f"<div class='abstained'><b>No supported answer:</b> the articles don't say.</div>"
                f"<p>Closest sources:</p><ul>{items}</ul>")
    parts = []
    for c in answer.citations:
        quote = normalize(c.quote)
        passage = next((normalize(p["text"]) for p in answer.passages
                        if p["doc_id"] == c.doc_id and quote in normalize(p["text"])), quote)
        at = passage.find(quote)
        if at >= 0:
            end = at + len(quote)
            shown = f"{e(passage[:at])}<mark>{e(passage[at:end])}</mark>{e(passage[end:])}"
        else:
            shown = f"<mark>{e(c.quote)}</mark>"
        date = f", {e(c.date)}" if c.date else ""
        parts.append(f"<div class='source' id='src-{c.marker}'><b>[{c.marker}]</b> {e(c.title)} "
                     f"(<code>{e(c.doc_id)}</code>{date})<div class='passage'>{shown}</div></div>")
    return "".join(parts) or "<p>No sources.</p>"


def eval_view(folder: Path | None):
    """Summary rows, failures (escaped Markdown), chart image and a status line of one eval report."""
    if folder is None:
        return [], "", None, "No report yet: run the eval."
    from PIL import Image

    payload = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    run = payload["runs"]["assistant"]
    rows = [[key, fmt(value)] for key, value in run["summary"].items()]
    lines = [f"- **{html.escape(f['id'])}** {html.escape(f['kind'])}: {html.escape(f['detail'])}"
             for f in run["failures"]]
    chart = Image.open(folder / "metrics.png") if (folder / "metrics.png").exists() else None
    status = (f"Report {folder.name} ({payload['meta']['questions']} questions, {payload['meta']['settings']}). "
              f"Full report: `{folder / 'report.html'}`")
    return rows, "\n".join(lines) or "No failures.", chart, status


class AppState:
    """The assistant behind the UI; replaced when the settings change."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def documents_table(self) -> list[list]:
        return [[d["doc_id"], d["title"], d["date"] or "", d["chunks"]] for d in self.assistant.documents()]


def build_app(assistant: Assistant) -> gr.Blocks:
    state = AppState(assistant)

    def respond(message: str, history: list[dict]):
        turns = [{"role": m["role"], "content": message_text(m.get("content"))} for m in history]
        history = history + [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield history, sources_html(None), ""
        try:
            for partial in state.assistant.stream_answers(message, turns):
                history[-1]["content"] = link_markers(partial.text) or f"_{html.escape(partial.status or '…')}_"
                yield history, sources_html(partial), ""
        except RagError as exc:
            history[-1]["content"] = f"⚠️ {html.escape(str(exc), quote=False)}"
            yield history, sources_html(None), ""

    def upload(files, progress=gr.Progress()):
        if not files:
            return state.documents_table(), "Choose files to add."
        corpus = state.assistant.settings.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        added = []
        for f in files:
            path = Path(f if isinstance(f, str) else f.name)
            if path.suffix.lower() not in UPLOAD_TYPES:
                continue
            shutil.copy(path, corpus / path.name)
            added.append(path.name)
        report = state.assistant.index(progress=lambda done, total, doc: progress((done, total), desc=f"indexing {doc}"))
        return state.documents_table(), f"Added {', '.join(added) or 'nothing'}. {html.escape(report.summary())}"

    def remove(doc_id: str):
        if not doc_id:
            return state.documents_table(), "Type the document id to remove."
        known = {d["doc_id"] for d in state.assistant.documents()}
        if doc_id not in known:
            return state.documents_table(), f"No document {doc_id!r} in the index."
        state.assistant.remove_document(doc_id)
        # The file leaves the corpus folder (or the next index run would add it back) but is kept.
        keep = state.assistant.settings.index_dir / "removed-documents"
        moved = []
        for f in state.assistant.settings.corpus_dir.glob(f"{doc_id}.*"):
            keep.mkdir(parents=True, exist_ok=True)
            moved.append(str(shutil.move(str(f), keep / f.name)))
        note = f" The file was moved to {html.escape(', '.join(moved))}." if moved else ""
        return state.documents_table(), f"Removed {html.escape(doc_id)} from the index.{note}"

    def rebuild(progress=gr.Progress()):
        report = state.assistant.index(rebuild=True,
                                       progress=lambda done, total, doc: progress((done, total), desc=f"indexing {doc}"))
        return state.documents_table(), f"Rebuilt. {html.escape(report.summary())}"

    def apply_settings(backend, base_url, model, top_k, hybrid, temperature):
        try:
            new = state.assistant.settings.replace(
                backend=backend, base_url=base_url or None, model=model or None, top_k=int(top_k),
                hybrid=bool(hybrid), temperature=float(temperature))
            if backend == "openai" and not new.model:
                raise SettingsError("the OpenAI backend needs a model name (e.g. gpt-4o-mini)")
        except SettingsError as exc:
            return f"⚠️ {exc}"
        state.assistant = Assistant(new)
        return f"Settings applied: backend={new.backend}, top_k={new.top_k}, hybrid={new.hybrid}."

    def evaluate(progress=gr.Progress()):
        try:
            items = load_gold(corpus_dir=state.assistant.settings.corpus_dir)
        except GoldError as exc:
            return [], "", None, f"⚠️ The gold set is written for the bundled corpus: {html.escape(str(exc)[:300])}"
        judge = default_judge(state.assistant)
        results = run_eval(state.assistant, items, judge,
                           progress=lambda xs: progress.tqdm(xs, desc="questions"))
        folder = new_report_dir()
        s = state.assistant.settings
        write_report(folder, {"assistant": results}, {
            "started": folder.name, "gold": "gold.jsonl", "questions": len(items),
            "judge": f"lexical (accuracy {judge_accuracy(judge, load_judge_set())['accuracy']:.2f} on the judge set)",
            "settings": f"backend={s.backend}, top_k={s.top_k}, hybrid={s.hybrid}"})
        return eval_view(folder)

    s = assistant.settings
    with gr.Blocks(title="Cited answers") as demo:
        gr.Markdown("## Ask the articles\nEvery sentence is backed by a verbatim quote: click a marker "
                    "[n] to see it in its article. When the articles don't answer, the assistant says so.")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Chat", height=460, elem_id="chat")
                    box = gr.Textbox(label="Question", placeholder="Did China deny the freeze?", elem_id="question")
                    gr.Examples(EXAMPLES, inputs=box)
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html(None), elem_id="sources")
            with gr.Accordion("Settings", open=False):
                backend = gr.Radio(["local", "openai", "openai-compatible"], value=s.backend, label="Backend")
                base_url = gr.Textbox(value=s.base_url or "", label="OpenAI-compatible URL",
                                      placeholder="http://127.0.0.1:8080/v1")
                model = gr.Textbox(value=s.model or "", label="Model name")
                top_k = gr.Slider(1, 20, value=s.top_k, step=1, label="Passages retrieved (top-k)")
                hybrid = gr.Checkbox(value=s.hybrid, label="Hybrid retrieval (dense + BM25)")
                temperature = gr.Slider(0, 2, value=s.temperature, step=0.1, label="Temperature (remote models)")
                apply = gr.Button("Apply")
                settings_status = gr.Markdown()
            box.submit(respond, [box, chat], [chat, sources, box], api_name="respond")
            apply.click(apply_settings, [backend, base_url, model, top_k, hybrid, temperature], settings_status,
                        api_name="apply_settings")
        with gr.Tab("Corpus"):
            table = gr.Dataframe(state.documents_table(), headers=["doc_id", "title", "date", "chunks"],
                                 interactive=False, wrap=True)
            files = gr.File(label="Add documents (.txt .md .html .pdf)", file_count="multiple",
                            file_types=UPLOAD_TYPES)
            with gr.Row():
                add = gr.Button("Add to the index")
                doc_id = gr.Textbox(label="Document id to remove")
                drop = gr.Button("Remove")
                rebuild_button = gr.Button("Rebuild the index")
            corpus_status = gr.Markdown()
            add.click(upload, files, [table, corpus_status], api_name="upload")
            drop.click(remove, doc_id, [table, corpus_status], api_name="remove_document")
            rebuild_button.click(rebuild, None, [table, corpus_status], api_name="rebuild")
        with gr.Tab("Eval"):
            gr.Markdown("The faithfulness eval asks the gold questions (`eval/gold.jsonl`) with the current "
                        "settings and checks every claim and citation. See the README for the metrics.")
            with gr.Row():
                run_button = gr.Button("Run the eval", variant="primary")
                open_button = gr.Button("Open the latest report")
            eval_status = gr.Markdown()
            with gr.Row():
                summary = gr.Dataframe(headers=["metric", "value"], interactive=False, elem_id="eval-summary")
                chart = gr.Image(label="Metrics", type="pil", interactive=False)
            failure_list = gr.Markdown()
            run_button.click(evaluate, None, [summary, failure_list, chart, eval_status], api_name="run_eval")
            open_button.click(lambda: eval_view(latest_report()), None, [summary, failure_list, chart, eval_status],
                              api_name="latest_eval")
    return demo


def create_server(assistant: Assistant) -> FastAPI:
    """The FastAPI app: /v1 (OpenAI-compatible) and the Gradio UI at /."""
    server = FastAPI(title="Cited answers")
    server.include_router(openai_router(assistant))
    demo = build_app(assistant).queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(server, demo, path="/", head=HEAD, css=CSS, footer_links=[])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    args = parser.parse_args()
    try:
        assistant = Assistant(Settings.from_env())
        print(f"index: {assistant.store.count()} chunks; building if needed ...", flush=True)
        assistant.engine()
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"UI: http://{args.host}:{args.port}/   API: http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(create_server(assistant), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
