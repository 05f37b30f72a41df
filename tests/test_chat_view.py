"""The web view of an answer: inert Markdown, markers that link to their own answer's sources."""

from rag.chat_view import link_markers, sources_html
from rag.render import Answer, Citation


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
