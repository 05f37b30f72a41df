"""Loading a corpus folder: ids, titles, dates, tag-page stories, other formats, bad files."""

from pathlib import Path

import pytest

from rag import Settings, SettingsError
from rag.index.corpus import load_corpus, load_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_file_stem_is_the_document_id_and_date_line_becomes_metadata():
    doc = load_document(CORPUS / "001_2082d504f351398b.txt")
    assert doc.doc_id == "001_2082d504f351398b"
    assert doc.date == "2022-04-16"
    assert "date 2022" not in doc.text
    assert doc.text.startswith("A leading Russian scientist")


def test_undated_article_has_no_date_and_title_from_first_line():
    doc = load_document(CORPUS / "003_8e1d12b5a911970d.txt")
    assert doc.date is None
    assert doc.title == "China-Russia scientific cooperation deepens"


def test_tag_page_is_split_into_stories_with_their_own_titles():
    doc = load_document(CORPUS / "002_4162cab4bec21213.txt")
    titles = [s.title for s in doc.stories]
    assert doc.title == "Tag: Cooperation"
    assert len(doc.stories) == 6
    assert titles[0].startswith("Russia says Sino Russian Academy of Sciences has suspended cooperation")
    assert titles[4].startswith("Representatives of overseas institutions in China")
    assert titles[5].startswith("2021 SCO national finance")
    for story in doc.stories:  # stories are exact spans of the document text
        assert doc.text[story.start:story.end].startswith(story.title.split(" …")[0][:20])


def test_a_page_of_headlined_stories_without_a_header_is_split(tmp_path):
    stories = [f"Headline number {n}\nThe story {n} goes on in one long paragraph of prose, as a web page "
               f"holds it, with no hard line breaks inside its sentences. It has a second sentence too."
               for n in range(3)]
    (tmp_path / "page.txt").write_text("\n\n\n".join(stories))
    assert [s.title for s in load_document(tmp_path / "page.txt").stories] == [
        "Headline number 0", "Headline number 1", "Headline number 2"]


def test_hard_wrapped_text_is_one_story_whatever_its_breaks(tmp_path):
    """A PDF's text: figures and tables between blank-line runs cut the prose, even mid-sentence."""
    lines = ["IV. ADVANCED TRAINING TECHNIQUES", "The initialization of deep networks has a big impact on",
             "the overall recognition accuracy of the network. Previously, most of", "the networks have been "
             "initialized with random weights. The deep", "network initialization approach", "", "",
             "TABLE II. THE TOP-5% ERRORS", "Methods LeNet AlexNet", "", "",
             "of Xavier has been proposed based on the symmetric activation", "function with respect to the "
             "hypothesis of linearity. This", "approach is known as the Xavier initialization approach.", "", "",
             "Fig. 25. Pictorial representation", "", "Another regularization approach is called Drop Connect,",
             "in this case instead of dropping the activation, the subset of", "weights within the network "
             "layers are set to zero. As a result,", "each layer receives a randomly selected subset of units."]
    path = tmp_path / "paper.txt"
    path.write_text("\n".join(lines))
    assert len(load_document(path).stories) == 1


def test_ordinary_articles_are_one_story():
    for name in ("000_2561fe39030d5e94", "001_2082d504f351398b", "004_e05cac517c94737c"):
        assert len(load_document(CORPUS / f"{name}.txt").stories) == 1


def test_markdown_and_html_documents(tmp_path):
    (tmp_path / "notes.md").write_text("# Lunar station plans\n\nThe station is planned for 2030.\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>T</title><script>alert('x')</script></head>"
        "<body><h1>Fusion news</h1><p>Cooling devices &amp; cables.</p><img src=x onerror=alert(1)></body></html>"
    )
    report = load_corpus(tmp_path)
    docs = {d.doc_id: d for d in report.documents}
    assert docs["notes"].title == "Lunar station plans"
    assert docs["page"].title == "Fusion news"
    assert "Cooling devices & cables." in docs["page"].text
    assert "alert" not in docs["page"].text and "<" not in docs["page"].text


def test_markdown_front_matter_gives_the_title_and_date_and_comments_are_not_text(tmp_path):
    (tmp_path / "post.md").write_text(
        '---\ntitle: "Moon base agreed"\ndate: 2021-03-09T10:00:00+08:00\ntags:\n  - space\n---\n'
        "<!--\nNote to editors: check the figures.\n-->\n\nChina and Russia signed the agreement.\n")
    (tmp_path / "rule.md").write_text("---\nA line between rules is text.\n---\n\nMore text here.\n")
    docs = {d.doc_id: d for d in load_corpus(tmp_path).documents}
    post = docs["post"]
    assert (post.title, post.date, post.text) == ("Moon base agreed", "2021-03-09", "China and Russia signed the agreement.")
    assert post.stories[0].title != "title: \"Moon base agreed\""
    assert docs["rule"].text.startswith("---\nA line between rules is text.") and docs["rule"].date is None


def test_unreadable_binary_and_empty_files_are_reported_and_skipped(tmp_path):
    (tmp_path / "good.txt").write_text("A real article about science.")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG" * 100)
    (tmp_path / "controls.txt").write_bytes(bytes(range(1, 32)) * 50)
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    report = load_corpus(tmp_path)
    assert [d.doc_id for d in report.documents] == ["good"]
    reasons = {p.name: why for p, why in report.skipped}
    assert "binary" in reasons["binary.txt"] and "binary" in reasons["controls.txt"]
    assert "no text" in reasons["empty.md"]
    assert "unsupported" in reasons["image.png"]


def test_latin1_and_utf16_files_are_decoded_not_skipped(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me in the Bren\xe9 lab.".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("Caf\xe9 au lait in the Kyiv lab.".encode("utf-16"))
    docs = {d.doc_id: d for d in load_corpus(tmp_path).documents}
    assert docs["latin1"].text == "Caf\xe9 cr\xe8me in the Bren\xe9 lab."
    assert docs["utf16"].text == "Caf\xe9 au lait in the Kyiv lab."


def test_layout_pages_of_a_pdf_and_sections_of_markdown_and_html(tmp_path):
    from rag.index.corpus import load_document
    from rag.index.chunking import chunk_document, make_splitter
    from rag.settings import Settings

    from .pdf_fixture import write_pages_pdf

    write_pages_pdf(tmp_path / "manual.pdf", [["Cover."], [], ["Page three text."], ["Page four text."]])
    pdf = load_document(tmp_path / "manual.pdf")
    assert [(pdf.text[o:o + 4], n) for o, n in pdf.pages] == [("Cove", 1), ("Page", 3), ("Page", 4)]

    (tmp_path / "guide.md").write_text("# Guide\n\nIntro.\n\n```\n# not a heading\n```\n\n## Setup ##\n\nRun it.\n",
                                       encoding="utf-8")
    md = load_document(tmp_path / "guide.md")
    assert [h for _, h in md.headings] == ["Guide", "Setup"]
    assert md.text[md.headings[1][0]:].startswith("## Setup")

    (tmp_path / "page.html").write_text("<main><h1>Page</h1><p>One.</p><h2>Second <em>part</em></h2><p>Two.</p>"
                                        "<h3>Third</h3><p>Three.</p></main>", encoding="utf-8")
    page = load_document(tmp_path / "page.html")
    assert [h for _, h in page.headings] == ["Page", "Second part", "Third"]

    chunks = chunk_document(md, make_splitter(Settings(chunk_tokens=40, chunk_overlap=0)))
    chunk = chunks[-1]
    assert chunk.file == "guide.md"
    assert chunk.section_at(md.text.index("Run it.")) == "Setup"
    assert chunk.section_at(md.text.index("Intro.")) in (None, "Guide")  # the chunk may start after the intro
    restored = type(chunk).from_record(chunk.id, chunk.text, chunk.to_metadata())
    assert restored == chunk  # the marks survive the store's metadata


def test_a_document_that_takes_too_long_to_read_is_skipped_with_that_verdict_and_not_read_again(tmp_path):
    """Read in a worker process with a time limit (rag.index.reader_process): the slow file gets the verdict, the
    worker is replaced, the other files are read; the next load skips the same file unread."""
    from rag.index.reader_process import _SHARED, timed_reader

    (tmp_path / "a_note.txt").write_text("A short note. It reads at once.", encoding="utf-8")
    (tmp_path / "b_long.txt").write_text("The committee met on Tuesday to discuss the plan. " * 39_000,
                                         encoding="utf-8")  # 2 million characters: ~0.25 s to read on 2 cores

    def read(path, max_chars):  # the long file given 0.02 s, the others the default's 30 s
        return _SHARED.read(path, max_chars, 0.02 if path.name == "b_long.txt" else 30)

    (tmp_path / "c_note.md").write_text("# Another\n\nRead after the worker was replaced.", encoding="utf-8")
    report = load_corpus(tmp_path, 2_000_000, read=read)
    assert [d.doc_id for d in report.documents] == ["a_note", "c_note"]
    assert [(p.name, why) for p, why in report.skipped] == [("b_long.txt", "took longer than 0.02 s to read "
                                                                          "(RAG_MAX_READ_SECONDS)")]
    again = load_corpus(tmp_path, 2_000_000, unreadable=report.unreadable, read=read)
    assert "as when last read" in again.skipped[0][1] and len(again.documents) == 2
    assert [d.doc_id for d in load_corpus(tmp_path, 2_000_000, read=timed_reader(30)).documents] == [
        "a_note", "b_long", "c_note"]
    with pytest.raises(SettingsError, match="RAG_MAX_READ_SECONDS"):
        Settings.from_env({"RAG_MAX_READ_SECONDS": "0"})
