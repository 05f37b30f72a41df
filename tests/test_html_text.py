"""Reading a saved web page: its content, not the site around it."""

from rag.index.html_text import html_to_text

DOCS_PAGE = """<!DOCTYPE html><html><head><title>What is rustdoc? - The rustdoc book</title>
<script>var theme = "light";</script></head><body>
<div id="help-container"><div id="help-popup"><h2>Keyboard shortcuts</h2>
<p>Press <kbd>S</kbd> to search in the book</p></div></div>
<nav id="sidebar" aria-label="Table of contents"><ol><li>What is rustdoc?</li><li>Lints</li></ol></nav>
<div id="menu-bar"><button>Change theme</button>
<ul role="menu"><li>Light</li><li>Coal</li></ul><h1 class="menu-title">The rustdoc book</h1></div>
<main><h1>What is <code>rustdoc</code>?</h1>
<p>The standard Rust distribution ships with a tool called rustdoc. Its job is
to generate documentation for Rust projects.</p>
<pre><code>$ rustdoc src/lib.rs
$ rustdoc --version</code></pre>
<div hidden>Search results</div><p aria-hidden="true">decoration</p>
<table><tr><th>Flag</th><th>Meaning</th></tr><tr><td>-V</td><td>version</td></tr></table>
</main><footer>Built with mdBook</footer></body></html>"""


def test_a_page_with_a_main_element_is_read_from_it_alone():
    title, text = html_to_text(DOCS_PAGE)
    assert title == "What is rustdoc?"  # the content's heading, not the site's
    assert text.startswith("What is rustdoc?\n\nThe standard Rust distribution ships")
    for furniture in ("Keyboard shortcuts", "Table of contents", "Lints", "Change theme", "Coal",
                      "The rustdoc book", "Search results", "decoration", "mdBook", "theme ="):
        assert furniture not in text


def test_white_space_reads_as_a_browser_shows_it():
    _, text = html_to_text(DOCS_PAGE)
    assert "ships with a tool called rustdoc. Its job is to generate" in text  # a wrapped line joins
    assert "$ rustdoc src/lib.rs\n$ rustdoc --version" in text  # <pre> keeps its lines
    assert "Flag Meaning" in text and "-V version" in text  # table cells stay apart


def test_articles_are_the_content_when_there_is_no_main():
    page = ("<html><body><header role='banner'>Daily News | Sports | Weather</header>"
            "<article><h1>Lunar station</h1><p>China and Russia plan a station.</p></article>"
            "<article><h1>Fusion</h1><p>A reactor ran for 400 seconds.</p></article>"
            "<aside>Most read</aside></body></html>")
    title, text = html_to_text(page)
    assert title == "Lunar station"
    assert text == "Lunar station\n\nChina and Russia plan a station.\n\nFusion\n\nA reactor ran for 400 seconds."


def test_a_plain_page_keeps_its_whole_body_and_its_title_tag_names_it():
    title, text = html_to_text("<html><head><title>Notes</title></head><body><div>First line.</div>"
                               "<p>Cooling devices &amp; cables.</p></body></html>")
    assert title == "Notes" and text == "First line.\n\nCooling devices & cables."


def test_unclosed_and_nested_elements_do_not_lose_the_content():
    page = ("<body><nav><div><div>menu</div></div><ul><li>a<li>b</ul></nav>"
            "<div role='main'><div><p>One<p>Two</div><div>Three</div></div><p>After")
    _, text = html_to_text(page)
    assert text == "One\n\nTwo\n\nThree"


def test_list_items_keep_the_marks_a_browser_draws():
    page = ("<main><p>Install it in three steps:</p><ol><li><p>Download the archive.</p></li>"
            "<li>Unpack it.</li><li>Run <code>make</code>.</li></ol><p>Supported systems:</p>"
            "<ul><li>Linux</li><li>macOS</li></ul></main>")
    _, text = html_to_text(page)
    assert text == ("Install it in three steps:\n\n1. Download the archive.\n2. Unpack it.\n3. Run make.\n\n"
                    "Supported systems:\n\n• Linux\n• macOS")
