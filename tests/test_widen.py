"""The widen stage: a retrieved chunk completed at its edges from its neighbours, still a verbatim span."""

from rag.answer.widen import WIDEN_ON_CHARS, neighbour_ids, widen, widen_one
from rag.index.store import Chunk

DOCUMENT = (
    "Deep learning has many uses. It is applied to most traditional application domains.\n\n"
    "Here is the list of benchmark datasets used for image classification:\n"
    "▪ MNIST : http://yann.lecun.com/exdb/mnist/\n"
    "▪ CIFAR 10/100 : https://www.cs.toronto.edu/~kriz/cifar.html\n"
    "▪ CalTech 101/256 : http://www.vision.caltech.edu/\n"
    "▪ Open Images : https://github.com/openimages/dataset\n\n"
    "Recurrent networks came later. They read sequences one step at a time."
)


def split(cuts: list[int], overlap: int = 10) -> list[Chunk]:
    """The document cut at ``cuts``, each chunk overlapping the one before by ``overlap`` characters."""
    bounds = [0, *cuts, len(DOCUMENT)]
    chunks = []
    for n, (a, b) in enumerate(zip(bounds, bounds[1:])):
        start = max(0, a - overlap) if n else 0
        chunks.append(Chunk(f"doc:0:{n}", "doc", DOCUMENT[start:b], "", "Doc", None, 0, start, b, "h"))
    return chunks


def fetch_from(chunks: list[Chunk]):
    by_id = {c.id: c for c in chunks}
    asked = []

    def fetch(ids: list[str]) -> list[Chunk]:
        asked.append(ids)
        return [by_id[i] for i in ids if i in by_id]

    return fetch, asked


def test_a_list_cut_by_the_chunk_boundary_runs_on_into_the_next_chunk():
    cut = DOCUMENT.index("vision.caltech") + 6  # "... http://www.vision" | ".caltech.edu/ ..."
    chunks = split([cut])
    widened = widen_one(chunks[0], None, chunks[1])
    assert widened.text == DOCUMENT[widened.start:widened.end]  # still verbatim
    assert "Open Images" in widened.text and widened.end - chunks[0].end <= WIDEN_ON_CHARS
    assert "Recurrent" not in widened.text  # the list ends with its paragraph


def test_a_chunk_opening_inside_a_sentence_starts_at_that_sentence():
    cut = DOCUMENT.index("traditional application")
    chunks = split([cut], overlap=0)
    widened = widen_one(chunks[1], chunks[0], None)
    # ... and, since "It" leans on the sentence before it, that sentence comes along.
    assert widened.text.startswith("Deep learning has many uses. It is applied to most traditional application domains.")
    assert widened.end == chunks[1].end


def test_a_chunk_ending_at_a_paragraph_end_is_left_as_it_is():
    cut = DOCUMENT.index("Here is the list")
    chunks = split([cut], overlap=0)
    assert widen_one(chunks[0], None, chunks[1]) == chunks[0]


def test_widen_reads_the_missing_neighbours_in_one_call_and_returns_them():
    chunks = split([DOCUMENT.index("▪ CIFAR"), DOCUMENT.index("Recurrent")])
    fetch, asked = fetch_from(chunks)
    widened, neighbours = widen([chunks[1]], fetch)
    assert asked == [["doc:0:0", "doc:0:2"]] and {c.id for c in neighbours} == {"doc:0:0", "doc:0:2"}
    # not "NIST": the sentence it opens in, and since that is an item, the list's head
    assert widened[0].id == "doc:0:1" and widened[0].text.startswith("Here is the list")
    assert widen([], fetch) == ([], [])


def test_neighbours_are_found_by_chunk_number_even_with_colons_in_the_document_id():
    chunk = Chunk("a:b:0:7", "a:b", "x", "", "", None, 0, 0, 1, "h")
    assert neighbour_ids(chunk) == ("a:b:0:6", "a:b:0:8")


def test_a_neighbour_parted_by_the_splitters_whitespace_still_joins():
    """The splitter strips the line break it cuts at: "▪ CIFAR" starts one character after the chunk ends."""
    cut = DOCUMENT.index("▪ CIFAR")
    first = Chunk("doc:0:0", "doc", DOCUMENT[:cut - 1], "", "Doc", None, 0, 0, cut - 1, "h")
    second = Chunk("doc:0:1", "doc", DOCUMENT[cut:], "", "Doc", None, 0, cut, len(DOCUMENT), "h")
    widened = widen_one(first, None, second)
    # Verbatim but for the kind of whitespace in the gap, which the splitter did not record.
    assert widened.text.split() == DOCUMENT[widened.start:widened.end].split()
    assert "Open Images" in widened.text and "Recurrent" not in widened.text


def test_a_chunk_opening_with_a_sentence_that_leans_back_takes_that_sentence_along():
    text = ("DenseNet was developed by Gao Huang and others in 2017. Therefore, it is formed with dense "
            "connectivity between the layers. It reuses features.")
    cut = text.index("Therefore")
    first = Chunk("doc:0:0", "doc", text[:cut - 1], "", "Doc", None, 0, 0, cut - 1, "h")
    second = Chunk("doc:0:1", "doc", text[cut:], "", "Doc", None, 0, cut, len(text), "h")
    widened = widen_one(second, first, None)
    assert widened.text == text and widened.start == 0


def test_a_list_of_web_addresses_runs_on_over_several_chunks():
    """Web addresses are many tokens and few words: such a list spans several small chunks, and the ones
    after the next are fetched in one more call, only for the chunk whose list runs on."""
    cuts = [DOCUMENT.index(mark) for mark in ("▪ CIFAR", "▪ CalTech", "▪ Open Images")]
    chunks = split(cuts, overlap=0)
    fetch, asked = fetch_from(chunks)
    [widened], _ = widen([chunks[0]], fetch)
    assert "Here is the list" in widened.text and widened.text.rstrip().endswith("openimages/dataset")
    assert widened.text == DOCUMENT[widened.start:widened.end]
    assert asked == [["doc:0:-1", "doc:0:1"], ["doc:0:2", "doc:0:3", "doc:0:4", "doc:0:5"]]
    fetch, asked = fetch_from(chunks)
    widen([chunks[3]], fetch)  # no list: one call
    assert len(asked) == 1


def test_a_chunk_opening_inside_a_list_moves_back_to_the_list_heading():
    text = ("Other text ends here.\n\nC. Language modeling\n▪ free eBooks: https://www.gutenberg.org/\n"
            "▪ Google 1Billion word corpus:\nhttps://github.com/ciprian-chelba/1-billion-word-\nlanguage-modeling-benchmark\n"
            "D. Image Captioning\n▪ Flickr 8k")
    cut = text.index("https://github.com")
    before = Chunk("doc:0:0", "doc", text[:cut], "", "Doc", None, 0, 0, cut, "h")
    chunk = Chunk("doc:0:1", "doc", text[cut:], "", "Doc", None, 0, cut, len(text), "h")
    widened = widen_one(chunk, before, None)
    assert widened.text.startswith("C. Language modeling\n▪ free eBooks")
    prose = text.index("D. Image")  # a chunk opening at a heading is not inside a list
    assert widen_one(Chunk("doc:0:1", "doc", text[prose:], "", "Doc", None, 0, prose, len(text), "h"),
                     Chunk("doc:0:0", "doc", text[:prose], "", "Doc", None, 0, 0, prose, "h"), None).start == prose


def test_a_sentence_leaning_back_never_takes_on_a_fragment_the_previous_chunk_opens_with():
    text = "the end of a cut sentence. This work considers most of the papers. The weather was fine."
    cut = text.index("This work")
    before = Chunk("doc:0:0", "doc", text[:cut], "", "Doc", None, 0, 0, cut, "h")
    chunk = Chunk("doc:0:1", "doc", text[cut:], "", "Doc", None, 0, cut, len(text), "h")
    assert widen_one(chunk, before, None).text.startswith("This work")
