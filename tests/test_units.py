"""Candidate units: the sentences of the retrieved chunks that could be evidence, lists kept whole."""

from rag.answer.retrieval import ScoredChunk
from rag.answer.units import LIST_BUDGET, candidate_units

from .test_evidence import chunk


def test_candidate_units_skip_questions_and_cut_fragments_and_keep_lists_whole():
    hits = [ScoredChunk(chunk("rest of a cut sentence here. Is this a question? The list has these items:\n"
                              "- apples and pears\n- plums", start=500), 1.0, 0.0, 0.0)]
    texts = [u.text for u in candidate_units(hits)]
    assert texts == ["The list has these items:\n- apples and pears\n- plums"]


def test_a_list_of_commands_ends_where_prose_resumes():
    """"Use it like this:" introduces a command, not the paragraphs after it; items that are prose (or
    marked "2.") stay with their introduction."""
    text = ("Using this flag looks like this:\n\n$ rustdoc src/lib.rs --edition 2018\n\n"
            "This flag allows rustdoc to treat your rust code as the given edition.\n\nSummary\n\n"
            "The default edition that rustdoc will use is 2015.")
    texts = [u.text for u in candidate_units([ScoredChunk(chunk(text), 1.0, 0.0, 0.0)])]
    assert texts == ["Using this flag looks like this:\n\n$ rustdoc src/lib.rs --edition 2018",
                     "This flag allows rustdoc to treat your rust code as the given edition.",
                     "The default edition that rustdoc will use is 2015."]
    steps = ("Install it in two steps:\n\n1. Download the archive\n\n2. Unpack it into your home folder.\n\n"
             "Then the program is ready to run on your machine.")
    assert candidate_units([ScoredChunk(chunk(steps), 1.0, 0.0, 0.0)])[0].text == steps.rsplit("\n\n", 1)[0]


def test_a_bulleted_list_ends_where_an_unmarked_line_of_prose_follows():
    text = ("This specification proposes:\n• A standard way for applications to install new information.\n"
            "• A standard way of getting the MIME type for a file.\n"
            "Further, the existing databases have been merged into a single package.\n2.1. Directory layout\n"
            "There are two important requirements for the way the database is stored.")
    units = [u.text for u in candidate_units([ScoredChunk(chunk(text), 1.0, 0.0, 0.0)])]
    assert units[0] == text.split("\nFurther")[0]
    assert units[1] == "Further, the existing databases have been merged into a single package."


def test_a_heading_is_not_evidence():
    hits = [ScoredChunk(chunk("E. Momentum in Gradient Descent\nMomentum is a method which helps to accelerate "
                              "the training."), 1.0, 0.0, 0.0)]
    assert [u.text for u in candidate_units(hits)] == ["Momentum is a method which helps to accelerate the training."]


def test_a_heading_over_a_bulleted_list_carries_the_list():
    """"C. Language modeling" over its items answers "Which datasets are used for language modeling?"."""
    text = ("C. Language modeling\n▪ free eBooks: https://www.gutenberg.org/\n▪ Brown corpus of American english\n"
            "D. Image Captioning\n▪ Flickr 8k: http://nlp.cs.illinois.edu/\n\nThe end of the list is here.")
    texts = [u.text for u in candidate_units([ScoredChunk(chunk(text), 1.0, 0.0, 0.0)])]
    assert texts == ["C. Language modeling\n▪ free eBooks: https://www.gutenberg.org/\n▪ Brown corpus of American english",
                     "D. Image Captioning\n▪ Flickr 8k: http://nlp.cs.illinois.edu/", "The end of the list is here."]


def test_a_list_budget_counts_a_web_address_as_one_word():
    """A list of datasets with their URLs reads no longer than one without them: it is kept whole."""
    items = "".join(f"▪ Dataset {n} : https://example.org/datasets/{n}/a-long-path/to-the-download-page/\n"
                    for n in range(40))
    text = "Datasets used for image classification:\n" + items + "▪ Open Images (9M images)"
    [unit] = candidate_units([ScoredChunk(chunk(text), 1.0, 0.0, 0.0)])
    assert len(text) > 2 * LIST_BUDGET and unit.text.endswith("Open Images (9M images)")
    long_prose = "A list of long items:\n" + "".join(f"▪ Item {n} is described in plain words here.\n"
                                                     for n in range(60))
    unit = candidate_units([ScoredChunk(chunk(long_prose), 1.0, 0.0, 0.0)])[0]
    assert len(unit.text) <= LIST_BUDGET  # prose still counts in full
