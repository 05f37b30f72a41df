"""The question's profile: the names it mentions, whether it wants an explanation, and typos."""

from rag.answer.question import misspelt, question_names
from rag.text import content_stems, stem

from .test_evidence import profile


def test_question_names_skip_the_word_opening_each_sentence():
    assert question_names("What did Zhao say? How did Sergeev react? Was Dr. Ma there?") == {
        stem("Zhao"), stem("Sergeev"), stem("Dr"), stem("Ma")}
    assert question_names("Explain FractalNet and how it differs from ResNet. What is the purpose of it?") == {
        stem("FractalNet"), stem("ResNet")}  # "What" opens a sentence, after a full stop too


def test_a_camel_cased_name_is_one_name():
    """"GoogLeNet" is a name the text knows as "googlenet", not an unknown "Goog"."""
    assert question_names("Why was GoogLeNet smaller than LeNet-5?") == {stem("GoogLeNet"), stem("LeNet")}
    assert stem("GoogLeNet") in content_stems("GoogLeNet won in 2014.")


def test_an_explanation_is_told_from_a_fact_question():
    assert profile("How does batch normalization help training?").explains
    assert profile("Explain the Xavier initialization approach.").explains
    assert profile("What is the key idea behind LSTM models?").explains
    assert not profile("How many joint labs are there?").explains
    assert not profile("What did Zhao say?").explains


def test_a_mistyped_name_is_not_an_unknown_one():
    known = {stem("Intercollegiate"), stem("sailing")}
    assert misspelt(stem("Intercolleiate"), known)
    assert not misspelt(stem("Nobel"), known)
    assert not misspelt(stem("Romans"), {stem("Normans")})


def test_a_question_for_a_year_wants_a_date_however_it_is_worded():
    for question in ("When did Harvard first play Yale?", "In what year did Harvard win?",
                     "What was the first year that Yale and Harvard played football?"):
        assert profile(question).wanted, question
    assert not profile("What did Zhao say about the freeze last year?").wanted


def test_a_where_answer_names_a_place_after_a_preposition_of_place_or_direction():
    q = profile("Where did the river flow before the flood?")
    offers = [p for _, p in q.wanted]
    assert q.required
    for sentence in ("Before the flood, the river flowed just south of today's line to the North Sea.",
                     "The station was built in Harbin.", "They sailed across the Atlantic.",
                     "The lab lies north of Moscow."):
        assert any(p.search(sentence) for p in offers), sentence
    assert not any(p.search("The river was diverted for flood protection reasons.") for p in offers)


def test_an_initialism_covers_the_words_it_stands_for_and_back():
    """Technical text defines "deep learning (DL)" once and then writes "DL": either form covers the other."""
    q = profile("How does deep learning extract features?")
    assert q.coverage("In DL, the features are learned automatically.") == q.coverage(
        "In deep learning, the features are learned automatically.")
    q = profile("Why do LSTM models train better than RNNs?")
    assert q.coverage("Long short-term memory models train better than recurrent neural networks.") == 1.0
    assert q.coverage("Models train better.") < 0.7


def test_capitals_that_abbreviate_nothing_asked_cover_nothing():
    q = profile("How does deep learning extract features?")
    assert q.abbreviated("The NATO summit, held by the UN.") == set()
