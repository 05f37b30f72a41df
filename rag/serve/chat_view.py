"""An answer as safe web content: the chat's Markdown with markers as links, and the sources panel.

Everything from documents is data here: HTML is escaped, and Markdown syntax is shown literally, so
a document cannot make the browser render a link or fetch an image. Each answer's markers link to that
answer's own sources (``#src-<turn>-<n>``), so a marker in an earlier answer still shows its quote.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from dataclasses import asdict

from ..answer.conversation import message_text
from ..answer.render import Answer, Citation
from ..text import normalize

# The page's behaviour and style for this markup (app.py mounts them): a click on a marker [n] in the
# chat scrolls the sources panel to source n and flashes it.
CHAT_VIEW_HEAD = """<script>
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
CHAT_VIEW_CSS = """
.source {border:1px solid #ddd; border-radius:8px; padding:8px 10px; margin:8px 0; scroll-margin:40px}
.source.flash {outline:3px solid #f5b301}
.source .passage {font-size:.9em; color:#444; white-space:pre-wrap}
.source mark {background:#fff1a8; padding:0 1px}
.abstained {color:#8a5a00}
"""

SHOWN_ANSWERS = 20  # the sources panel keeps this many answers' sources, so older markers still work
SAVED_CHATS = 30  # chats a browser keeps (the oldest goes): localStorage holds about 5 MB per site

# Markdown syntax a document could use to make the chat render a link or image (which the browser would
# fetch, telling the document's author who asked what): each is shown as the literal character instead.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def link_markers(text: str, turn: int) -> str:
    """Answer text as inert Markdown (HTML escaped, Markdown syntax and URLs defused), with each marker
    [n] a link to source n of answer ``turn``."""
    escaped = _MARKDOWN_ACTIVE.sub(r"\\\1", html.escape(text, quote=False))
    return re.sub(r"\\\[(\d+)\\\]", rf"[\\[\1\\]](#src-{turn}-\1)", escaped)


def sources_html(answers: list) -> str:
    """Sources of each answer of the session, newest first: title, date, document id, and the passage
    with the quote highlighted; an answer's markers link to its own sources."""
    if not answers:
        return "<p>Sources of each answer appear here.</p>"
    return "".join(_answer_sources(turn, answer, latest=(i == 0))
                   for i, (turn, answer) in enumerate(reversed(answers[-SHOWN_ANSWERS:])))


def _answer_sources(turn: int, answer, latest: bool) -> str:
    e = html.escape
    heading = f"<h4>Answer {turn}: {e(answer.question[:80])}</h4>" if answer.question else ""
    if answer.abstained:
        items = "".join(f"<li>{e(s['title'])} (<span title='document id {e(s['doc_id'])}'>"
                        f"{e(s.get('file') or s['doc_id'])}</span>"
                        f"{', ' + e(s['date']) if s.get('date') else ''})</li>" for s in answer.sources[:3])
        return (f"<details {'open' if latest else ''}><summary>{heading or 'Answer'}</summary>"
                f"<div class='abstained'><b>No supported answer:</b> the documents don't say.</div>"
                f"<p>Closest sources:</p><ul>{items}</ul></details>")
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
        where = ", ".join(([e(c.where)] if c.where else [e(c.doc_id)]) + ([e(c.date)] if c.date else []))
        parts.append(f"<div class='source' id='src-{turn}-{c.marker}'><b>[{c.marker}]</b> {e(c.title)} "
                     f"(<span class='where' title='document id {e(c.doc_id)}'>{where}</span>)"
                     f"<div class='passage'>{shown}</div></div>")
    return f"<div class='answer-sources' id='answer-{turn}'>{heading}{''.join(parts) or '<p>No sources.</p>'}</div>"


# Saved chats: kept in the visitor's browser (localStorage), never on the server. A chat is a plain dict:
# {"id", "title", "updated", "messages": [{"role", "content"}], "answers": [[turn, answer record]]}.

def answer_record(answer: Answer) -> dict:
    """What a saved chat keeps of an answer to show its sources again: the citations, the closest
    sources, and only the passages a citation quotes (the rest would fill the browser's storage)."""
    quotes = [normalize(c.quote) for c in answer.citations]
    passages = [p for p in answer.passages if any(q and q in normalize(p["text"]) for q in quotes)]
    return {"text": answer.text, "abstained": answer.abstained, "question": answer.question,
            "citations": [asdict(c) for c in answer.citations], "sources": answer.sources[:3],
            "passages": passages}


def answer_from_record(record: dict) -> Answer:
    citations = [Citation(**{k: v for k, v in c.items() if k in Citation.__dataclass_fields__})
                 for c in record.get("citations", [])]
    return Answer(record.get("text", ""), citations, bool(record.get("abstained")), record.get("question", ""),
                  sources=record.get("sources", []), passages=record.get("passages", []))


def saved_with(chats: list[dict], chat_id: str | None, messages: list[dict], answers: list) -> tuple[list, str]:
    """``chats`` with this chat saved (new, or replacing its earlier copy) first, and the chat's id."""
    if not messages:
        return chats, chat_id
    chat_id = chat_id or uuid.uuid4().hex
    first = next((message_text(m["content"]) for m in messages if m.get("role") == "user"), "") or "Chat"
    chat = {"id": chat_id, "title": " ".join(str(first).split())[:80], "updated": time.strftime("%Y-%m-%d %H:%M"),
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "answers": [[turn, answer_record(a)] for turn, a in answers]}
    return ([chat] + [c for c in chats if c.get("id") != chat_id])[:SAVED_CHATS], chat_id


def chat_choices(chats: list[dict]) -> list[tuple[str, str]]:
    """(label, id) of each saved chat, newest first, for a picker."""
    return [(f"{c.get('title') or 'Chat'} · {c.get('updated', '')}", c["id"]) for c in chats if c.get("id")]


def opened_chat(chats: list[dict], chat_id: str | None) -> tuple[list[dict], list] | None:
    """(messages, [(turn, Answer)]) of a saved chat, or None when it is not there."""
    chat = next((c for c in chats if c.get("id") == chat_id), None)
    if chat is None:
        return None
    return chat["messages"], [(int(turn), answer_from_record(a)) for turn, a in chat.get("answers", [])]
