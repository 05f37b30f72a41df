"""Gradio chat over the corpus: `python app.py` (binds 127.0.0.1:7860 by default).

A minimal chat: answers stream sentence by sentence (each already checked by the citation guard),
and the sources of the latest answer are listed under the chat with their verbatim quotes.
"""

from __future__ import annotations

import argparse
import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from rag import Assistant, QuestionError, Settings  # noqa: E402
from rag.llm import GeneratorUnavailable  # noqa: E402

EXAMPLES = [
    "Did China deny the freeze?",
    "Who is Alexander Sergeev?",
    "What do China and Russia plan to build on the moon?",
    "Why did China sanction Russian scientists?",
]


def sources_markdown(answer) -> str:
    """The latest answer's citations as escaped Markdown (document text is never rendered as HTML)."""
    if answer is None:
        return ""
    if answer.abstained:
        lines = ["**No supported answer.** Closest sources:"]
        lines += [f"- {html.escape(s['title'])} (`{s['doc_id']}`{', ' + s['date'] if s.get('date') else ''})"
                  for s in answer.sources[:3]]
        return "\n".join(lines)
    lines = ["**Sources**"]
    for c in answer.citations:
        date = f", {c.date}" if c.date else ""
        lines.append(f"**[{c.marker}]** {html.escape(c.title)} (`{c.doc_id}`{date})\n\n> {html.escape(c.quote)}")
    return "\n\n".join(lines)


def build_app(assistant: Assistant) -> gr.Blocks:
    def respond(message: str, history: list[dict]):
        turns = [{"role": m["role"], "content": m["content"]} for m in history if isinstance(m.get("content"), str)]
        history = history + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            for partial in assistant.stream_answers(message, turns):
                history[-1]["content"] = html.escape(partial.text, quote=False)
                yield history, sources_markdown(partial), ""
        except (QuestionError, GeneratorUnavailable) as exc:
            history[-1]["content"] = f"⚠️ {exc}"
            yield history, "", ""

    with gr.Blocks(title="Cited answers") as demo:
        gr.Markdown("## Ask the articles\nEvery sentence is backed by a verbatim quote; "
                    "when the articles don't answer, the assistant says so.")
        chat = gr.Chatbot(label="Chat", height=420)
        box = gr.Textbox(label="Question", placeholder="Did China deny the freeze?")
        sources = gr.Markdown()
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(respond, [box, chat], [chat, sources, box])
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    args = parser.parse_args()
    assistant = Assistant(Settings.from_env())
    print(f"index: {assistant.store.count()} chunks; building if needed ...", flush=True)
    assistant.engine()
    build_app(assistant).queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()
