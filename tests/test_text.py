"""The text toolkit on real-world layouts: hard-wrapped PDF text, line-end hyphens, whole-line paragraphs."""

from pathlib import Path

import pytest

from rag.answer.lists import reading_end, shorten_addresses
from rag.index.corpus import load_document
from rag.text import is_heading, normalize, paragraph_spans, reflow, sentence_spans, stem, wrap_width

from .pdf_fixture import write_text_pdf

ALEXNET = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-sets" / "llamaindex_history_of_alexnet"

WRAPPED = """B. Feature Learning

A key difference between traditional ML and DL is in how
features are extracted. Traditional ML approaches use
handmade features by applying several feature extraction
algorithms, and many more. The leaning algorithms are applica-
tion specific and work on state-of-the-
art benchmarks.
▪ 1943: McCulloch & Pitts show that neurons can be
combined to construct a Turing machine.
▪ 1958: Rosenblatt shows that perceptrons converge.
"""


def sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_hard_wrapped_lines_are_joined_into_whole_sentences():
    found = [reflow(s) for s in sentences(WRAPPED)]
    assert "A key difference between traditional ML and DL is in how features are extracted." in found
    assert ("Traditional ML approaches use handmade features by applying several feature extraction "
            "algorithms, and many more.") in found


def test_headings_and_list_items_stay_apart():
    found = [reflow(s) for s in sentences(WRAPPED)]
    assert "B. Feature Learning" in found
    assert "▪ 1943: McCulloch & Pitts show that neurons can be combined to construct a Turing machine." in found
    assert "▪ 1958: Rosenblatt shows that perceptrons converge." in found


def test_line_end_hyphens_are_undone_but_compounds_keep_theirs():
    found = " ".join(reflow(s) for s in sentences(WRAPPED))
    assert "application specific" in found
    assert "state-of-the-art benchmarks" in found


def test_spans_stay_verbatim_slices_of_the_text():
    for s, e in sentence_spans(WRAPPED):
        assert WRAPPED[s:e].strip() == WRAPPED[s:e]
    assert "applica-\ntion" in WRAPPED[slice(*sentence_spans(WRAPPED)[3])]


def test_scholarly_abbreviations_do_not_end_a_sentence():
    paper = ("DL is employed where machine intelligence is useful (see Fig. 3). Hinton et al. showed it, "
             "e.g. in speech, as Eq. 2 says. Then he said no. The end.")
    assert sentences(paper) == ["DL is employed where machine intelligence is useful (see Fig. 3).",
                                "Hinton et al. showed it, e.g. in speech, as Eq. 2 says.",
                                "Then he said no.", "The end."]


def test_code_in_a_sentence_does_not_end_it_but_run_in_sentences_still_split():
    text = ("You can add #![warn(unused)] to the top of your example. It said on Wednesday.The project "
            "is big!")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "You can add #![warn(unused)] to the top of your example.", "It said on Wednesday.", "The project is big!"]


def test_a_text_starting_mid_line_keeps_its_first_sentence_whole():
    # A passage starts at a sentence, which in a PDF often begins in the middle of a line.
    passage = WRAPPED[WRAPPED.index("Traditional ML"):]
    assert reflow(sentences(passage)[0]).startswith("Traditional ML approaches use handmade features")
    cut = "There is an\nimportant empirical evaluation of RNN\napproaches by Greff et al. in 2015, and the\n" \
          "final conclusion was that the LSTM variants were\nall about the same. Another evaluation is\n" \
          "conducted on thousands of RNN architectures\n"
    assert reflow(sentences(cut)[0]).startswith("There is an important empirical evaluation")
    assert sentences(WRAPPED)[0] == "B. Feature Learning"  # a heading on the first line stays apart


def test_paragraphs_written_on_one_line_are_not_joined():
    news = ("Headline without a full stop\n"
            "BEIJING, March 3 -- The first paragraph is a long line of prose that goes on and on well past any "
            "wrap width a text file would use, because it is one paragraph.\n"
            "The second paragraph is another long line, also well past any wrap width, ending with a full stop.\n")
    assert wrap_width(news.splitlines()) is None
    assert len(paragraph_spans(news)) == 3
    assert sentences(news)[0] == "Headline without a full stop"


def test_normalize_matches_wrapped_quotes_against_prose():
    assert normalize("applica-\ntion “specific”") == normalize('application "specific"')


def test_place_names_and_their_adjectives_share_a_stem():
    for place, adjective in [("Japan", "Japanese"), ("Korea", "Korean"), ("Canada", "Canadian"),
                             ("Australia", "Australian"), ("Ukraine", "Ukrainian")]:
        assert stem(place) == stem(adjective)


def test_a_pdf_read_by_pypdf_gives_whole_sentence_quotes(tmp_path):
    lines = ["Deep learning methods have been applied to most traditional application",
             "domains, as well as some new areas that present more opportunities than",
             "before. The same approach can be used in different applications or with",
             "different data types, which is called transfer learning in the literature."]
    write_text_pdf(tmp_path / "paper.pdf", lines)
    doc = load_document(tmp_path / "paper.pdf")
    found = [reflow(s) for s in sentences(doc.text)]
    assert found[0] == ("Deep learning methods have been applied to most traditional application domains, as "
                        "well as some new areas that present more opportunities than before.")
    assert doc.title.startswith("Deep learning methods have been applied")


@pytest.mark.skipif(not ALEXNET.is_dir(), reason="the shared eval sets are not next to this checkout (../shared)")
def test_the_alexnet_paper_reads_as_whole_sentences():
    doc = load_document(ALEXNET / "corpus" / "alexnet_01_abstract_and_introduction.txt")
    found = [reflow(s) for s in sentences(doc.text)]
    assert any(s.startswith("This new field of machine learning has been growing rapidly, and has been applied to "
                            "most traditional application domains") for s in found)
    assert doc.title


def test_a_document_without_a_heading_is_titled_by_its_first_sentence(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("the meeting was moved to Tuesday because the hall was booked. Everyone agreed.\n")
    assert load_document(path).title == "the meeting was moved to Tuesday because the hall was booked."


def test_equations_and_table_rows_do_not_hide_the_wrap_width():
    prose = ["The key idea of LSTMs is the cell state, the horizontal line",
             "running through the top of the figure. LSTMs remove or add",
             "information to the cell state through gates: input gate and",
             "output gate, which can be defined as the following equations."]
    equations = ["        𝑖𝑡 =  𝜎(𝑊𝑖. [ℎ𝑡−1, 𝑥𝑡] + 𝑏𝑖)" + " " * 40 + "(35)", "𝜕𝑦", "1", "End"] * 3
    text = "\n".join(prose + equations) + "\n"
    assert wrap_width(text.splitlines()) is not None
    assert sentences(text)[0] == "\n".join(prose[:2])[: "\n".join(prose[:2]).index("figure.") + 7]


def test_a_heading_is_told_from_a_sentence():
    text = ("2) Sub-sampling Layer\nThe subsampling layer performs the down sampled operation.\nTime series data\n"
            "6) GoogLeNet (2014)\n")
    spans = sentence_spans(text)
    assert [is_heading(text, s, e) for s, e in spans] == [True, False, True, True]


def test_a_web_address_reads_as_one_word_and_shortens_to_its_host():
    listing = "▪ MNIST : http://yann.lecun.com/exdb/mnist/ ▪ Open Images : https://github.com/openimages/dataset."
    assert reading_end(listing, 0, 1000) == len(listing)
    assert reading_end("plain words " * 20, 0, 50) == 50  # prose counts in full
    assert reading_end(listing, 0, 15) < listing.index("Open Images")  # the budget still ends somewhere
    assert shorten_addresses(listing) == "▪ MNIST : yann.lecun.com ▪ Open Images : github.com."
    assert shorten_addresses("see www.kaggle.com/data, then") == "see kaggle.com, then"


def test_a_formula_laid_out_over_lines_stays_in_its_sentence():
    """pypdf sets a fraction as numerator and denominator lines: "M =" / "(N−F)" / "S + 1   (16)"."""
    text = ("The number of computational parameters is an important metric to measure the\n"
            "complexity of a deep learning model. The size of the output feature maps can\n"
            "be formulated from the sizes of the input, of the filters and the stride as:\n"
            "          𝑀 =\n(𝑁−𝐹)\n𝑆  + 1                          (16)\n"
            "Where 𝑁 refers to the dimensions of the input feature maps and 𝑆 stands for the\n"
            "stride length. Padding is typically applied during the convolution operations.\n"
            "The chart shows the errors by year for each of the models in the challenge.\n16.4\n11.2\n3.57")
    sentences = [reflow(text[s:e]) for s, e in sentence_spans(text)]
    assert sentences[1].startswith("The size") and sentences[1].endswith("as: 𝑀 = (𝑁−𝐹) 𝑆 + 1 (16)")
    assert sentences[-2:] == ["11.2", "3.57"]  # numbers alone (a chart's labels) are no formula


def test_one_overlong_line_does_not_hide_the_wrap_width():
    """Two wrapped lines run together where neighbouring chunks were joined: still one wrapped paragraph."""
    lines = ["We also included recently developed frameworks, SDKs and benchmark",
             "datasets that are used for implementing and evaluating deep learning",
             "approaches in this survey. There are some surveys that have been",
             "published on deep learning using neural networks and a survey on",
             "reinforcement learning. However, those papers have not discussed the",
             "method of generative models [1]. Index Terms—Deep Learning, Convolutional Neural Network"]
    text = "\n".join(lines)
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences[0].startswith("We also") and sentences[0].endswith("this survey.")
