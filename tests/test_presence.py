"""What the presence judge reads for each candidate unit."""

from rag.answer.units import candidate_units
from rag.answer.presence import JUDGE_READS_AT_MOST, JUDGE_READS_CHARS, judge_text
from rag.answer.retrieval import ScoredChunk

from .test_evidence import chunk

PAPER = ("Which one is best? According to the empirical studies there is no clear winner. However, the GRU "
         "requires fewer parameters, which makes it faster. On the other hand, LSTM performs better with enough "
         "data. See https://example.org/a/very/long/address/to/the/paper for details.\n\nA new paragraph.")


def units_of(text: str):
    passages = [chunk(text, title="RNN")]
    return candidate_units([ScoredChunk(passages[0], 1.0, 1.0, 1.0)]), passages


def test_the_judge_reads_a_unit_under_its_title_with_web_addresses_cut_to_hosts():
    units, passages = units_of(PAPER)
    last = next(u for u in units if u.text.startswith("See"))
    assert judge_text(last, passages) == "(RNN) See example.org for details."


def test_for_an_open_question_the_judge_reads_the_unit_with_the_run_it_would_be_quoted_with():
    units, passages = units_of(PAPER)
    first = units[0]
    assert first.text.startswith("According")
    alone = judge_text(first, passages)
    assert alone.endswith("no clear winner.")  # a fact question: the unit alone
    read = judge_text(first, passages, open_question=True)
    assert "the GRU requires fewer parameters" in read and "On the other hand" in read
    assert "A new paragraph" not in read and len(read) <= JUDGE_READS_CHARS + len("(RNN) ")


def test_a_long_list_is_judged_on_its_opening_and_first_items():
    listing = "Datasets for image classification:\n" + "".join(f"▪ Dataset number {n} of many\n" for n in range(80))
    units, passages = units_of(listing)
    read = judge_text(units[0], passages)
    assert read.startswith("(RNN) Datasets for image classification: ▪ Dataset number 0")
    assert read.endswith(" …") and len(read) <= JUDGE_READS_AT_MOST + len("(RNN) ") + 2


def test_in_context_the_judge_also_reads_the_sentence_before_in_its_paragraph():
    units, passages = units_of(PAPER)
    second = next(u for u in units if u.text.startswith("However"))
    assert judge_text(second, passages, context=True).startswith(
        "(RNN) According to the empirical studies there is no clear winner. However, the GRU")
    assert judge_text(units[0], passages, context=True).startswith("(RNN) Which one is best? According")
    after_break = next(u for u in units if u.text.startswith("A new paragraph"))
    assert judge_text(after_break, passages, context=True) == "(RNN) A new paragraph."  # not across paragraphs
