"""The web view of an answer: inert Markdown, markers that link to their own answer's sources."""

import json

from rag.serve.chat_view import link_markers, sources_html
from rag.answer.render import Answer, Citation


def test_markers_link_to_this_answers_sources_and_document_markup_stays_text():
    shown = link_markers('Zhao <b>said</b> ![x](http://evil/leak.png) see [site](http://evil) www.evil.com [1].', 3)
    assert "[\\[1\\]](#src-3-1)" in shown
    assert "<b>" not in shown and "&lt;b&gt;" in shown
    assert "](http" not in shown and "![" not in shown and "www.evil" not in shown  # no link, image or autolink


def test_the_panel_keeps_each_answers_sources_newest_first():
    def answer(question, quote):
        return Answer(f"{quote} [1].", [Citation(1, "doc", "Title", None, quote, 1.0)], False, question,
                      passages=[{"doc_id": "doc", "text": f"Before. {quote} After."}])

    html = sources_html([(1, answer("first?", "Zhao did not deny it.")), (2, answer("second?", "It froze."))])
    assert html.index("id='src-2-1'") < html.index("id='src-1-1'")
    assert "<mark>Zhao did not deny it.</mark>" in html


def test_a_saved_chat_keeps_what_its_sources_panel_needs_and_nothing_more():
    from rag.serve.chat_view import SAVED_CHATS, chat_choices, opened_chat, saved_with
    from rag.answer.render import Answer, Citation

    quote = "Zhao did not deny the charge but played it down."
    cited = {"doc_id": "doc", "title": "T", "date": None, "text": f"Before. {quote} After.", "start": 0, "end": 9}
    other = {**cited, "text": "Unrelated passage " * 100}
    answer = Answer(f"{quote} [1].", [Citation(1, "doc", "Title", None, quote, 1.0, "doc.pdf", 4, "Denials")],
                    False, "Did China deny the freeze?", passages=[cited, other], sources=[{"doc_id": "doc"}] * 5)
    messages = [{"role": "user", "content": "Did China deny the freeze?"}, {"role": "assistant", "content": "x"}]
    chats, chat_id = saved_with([], None, messages, [(1, answer)])
    assert chat_choices(chats) == [(f"Did China deny the freeze? · {chats[0]['updated']}", chat_id)]
    record = chats[0]["answers"][0][1]
    assert record["passages"] == [cited] and len(record["sources"]) == 3  # only what the panel shows

    restored_messages, restored = opened_chat(json.loads(json.dumps(chats)), chat_id)  # as localStorage gives it
    assert restored_messages == messages
    turn, again = restored[0]
    assert turn == 1 and again.citations == answer.citations and again.passages == [cited]
    assert "id='src-1-1'" in sources_html(restored) and "doc.pdf, p. 4, “Denials”" in sources_html(restored)

    # Saving again replaces the chat (and brings it to the front); the list is bounded.
    chats, same = saved_with([{"id": "older", "title": "o", "messages": [], "answers": []}] + chats, chat_id,
                             messages + messages, [(1, answer), (2, answer)])
    assert same == chat_id and [c["id"] for c in chats] == [chat_id, "older"]
    many = [{"id": str(i), "title": "t"} for i in range(SAVED_CHATS)]
    assert len(saved_with(many, None, messages, [])[0]) == SAVED_CHATS
    assert opened_chat(chats, "gone") is None
