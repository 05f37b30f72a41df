"""The public API: ``Assistant.ask`` / ``stream`` and the Answer/Citation shape, on the bundled corpus."""

import re

import pytest

from rag import Answer, Citation, QuestionError
from rag.index.corpus import load_corpus
from rag.text import normalize


@pytest.fixture(scope="module")
def doc_texts(settings):
    return {d.doc_id: normalize(d.text) for d in load_corpus(settings.corpus_dir).documents}


def assert_trustworthy(answer: Answer, doc_texts):
    """Every marker points to a citation, every citation quote is verbatim in its own document."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.marker for c in answer.citations}
    for c in answer.citations:
        assert isinstance(c, Citation)
        assert normalize(c.quote) in doc_texts[c.doc_id], c


def test_did_china_deny_the_freeze(assistant, doc_texts):
    answer = assistant.ask("Did China deny the freeze?", history=None)
    assert not answer.abstained
    assert_trustworthy(answer, doc_texts)
    assert "did not deny" in answer.text and "played it down" in answer.text
    quotes = [c for c in answer.citations if c.doc_id == "000_2561fe39030d5e94"]
    assert any("did not deny the charge but played it down" in c.quote for c in quotes)


def test_citation_fields(assistant):
    answer = assistant.ask("What do China and Russia plan to build on the moon?")
    c = answer.citations[0]
    assert (c.marker, c.doc_id, c.date) == (1, "001_2082d504f351398b", "2022-04-16")
    assert c.title.startswith("A leading Russian scientist")
    assert "research station on the moon" in c.quote
    assert 0 < c.score <= 1
    assert answer.to_dict().keys() == {"text", "citations", "abstained"}
    assert answer.to_dict()["citations"][0].keys() == {"marker", "doc_id", "title", "date", "quote", "score", "file",
                                                          "page", "section"}


@pytest.mark.parametrize("question", [
    "Who won the 2022 Nobel Prize in Physics?",
    "What is the recipe for borscht?",
    "Who is the CEO of Huawei?",
    "What is the capital of France?",  # the corpus mentions "capital market" and lists France
])
def test_out_of_corpus_questions_abstain_and_name_the_closest_sources(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert answer.text.startswith("The documents don't say")
    assert answer.sources and "closest sources" in answer.text


def test_tag_page_story(assistant, doc_texts):
    answer = assistant.ask("Where did the 2021 SCO national financial cooperation and capital market development forum open?")
    assert "Jiaozhou" in answer.text
    assert_trustworthy(answer, doc_texts)
    assert answer.citations[0].title.startswith("2021 SCO") or answer.citations[0].doc_id == "002_4162cab4bec21213"


def test_follow_up_is_rewritten_before_retrieval(assistant, doc_texts):
    history = [
        {"role": "user", "content": "Who is Li Xing?"},
        {"role": "assistant", "content": "Li Xing is an international relations professor at Beijing Normal University [1]."},
    ]
    answer = assistant.ask("What did he say about the Asia-Pacific?", history=history)
    assert answer.standalone_question == "What did Li Xing say about the Asia-Pacific?"
    assert "stability and peace" in answer.text
    assert_trustworthy(answer, doc_texts)


def test_false_premise_gets_evidence_not_an_invented_reason(assistant, doc_texts):
    answer = assistant.ask("Why did China sanction Russian scientists?")
    assert_trustworthy(answer, doc_texts)
    assert "China sanctioned" not in answer.text


def test_stream_yields_the_same_answer_in_verified_pieces(assistant):
    question = "Did China deny the freeze?"  # a lead and further quotes: several pieces
    pieces = list(assistant.stream(question, history=None))
    assert len(pieces) >= 2
    assert "".join(pieces) == assistant.ask(question).text


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_is_a_clear_error(assistant, question):
    with pytest.raises(QuestionError, match="empty"):
        assistant.ask(question)


def test_huge_question_is_truncated_and_said_so(assistant):
    # The cut is the pipeline's, before any stage reads the question: asked without the judge, which would
    # otherwise read 2,000 characters of "please" beside every candidate (~35 s on 2 cores).
    answer = assistant.derive(fast=True).ask("Who is Alexander Sergeev? " + "please " * 20_000)
    assert len(answer.question) <= assistant.settings.max_question_chars
    assert any("truncated" in why for _, why in answer.removed)
    assert "question was cut to its first 2,000 characters" in answer.text  # said in the answer itself


def test_a_derived_assistant_changes_answers_for_its_user_only(assistant):
    narrow = assistant.derive(top_k=1, hybrid=False)
    assert narrow.store is assistant.store and narrow.settings.top_k == 1 and assistant.settings.top_k != 1
    assert len(narrow.ask("Who is Alexander Sergeev?").passages) == 1
    assert len(assistant.ask("Who is Alexander Sergeev?").passages) > 1
    with pytest.raises(ValueError, match="index_dir"):
        assistant.derive(index_dir="/tmp/elsewhere")


def test_document_and_date_filters(assistant):
    only_003 = assistant.engine().retriever
    from rag.answer.retrieval import HybridRetriever

    filtered = HybridRetriever(assistant.settings.replace(filter_doc_ids=("003_8e1d12b5a911970d",)),
                               assistant.store, assistant._embed_query, only_003.lexical)
    assert {h.chunk.doc_id for h in filtered.search("Sergeev freeze")} == {"003_8e1d12b5a911970d"}
    dated = HybridRetriever(assistant.settings.replace(date_from="2020-01-01"), assistant.store,
                            assistant._embed_query, only_003.lexical)
    assert {h.chunk.doc_id for h in dated.search("cooperation")} == {"001_2082d504f351398b"}


def test_a_yes_no_question_opens_with_a_direct_cited_no(assistant, doc_texts):
    answer = assistant.ask("Did China deny the freeze?")
    assert answer.text.startswith("No — "), answer.text
    assert_trustworthy(answer, doc_texts)
    assert "did not deny" in answer.citations[0].quote


@pytest.mark.parametrize("question, wrong_start", [
    ("Did Chinese scientists stop working with Russia on the lunar programme?", "Yes"),
    ("Did China impose sanctions on Russia?", "Yes"),
])
def test_the_lead_does_not_contradict_the_evidence(assistant, question, wrong_start):
    answer = assistant.ask(question)
    assert not answer.text.startswith(wrong_start), answer.text


def test_concurrent_questions_get_the_answers_they_get_alone(assistant):
    from concurrent.futures import ThreadPoolExecutor

    questions = ["Did China deny the freeze?", "Who is Yao Weike?", "What do China and Russia plan to build on the moon?",
                 "How many new Chinese engineers did the Russian Academy of Engineering welcome?"] * 3
    alone = {q: assistant.ask(q).text for q in set(questions)}
    with ThreadPoolExecutor(4) as pool:  # the app's queue serves 4 users at once
        together = list(pool.map(lambda q: assistant.ask(q).text, questions))
    assert together == [alone[q] for q in questions]


def test_questions_about_the_corpus_dates_are_answered_from_metadata(assistant):
    first = assistant.ask("Which article was published first?")
    assert "2019-12-25" in first.text and first.citations[0].doc_id == "004_e05cac517c94737c"
    assert "carries no date" in first.text  # undated articles are named, not silently ignored

    of_2022 = assistant.ask("Which articles were published in 2022?")
    assert of_2022.citations[0].doc_id == "001_2082d504f351398b" and "2022-04-16" in of_2022.text
    assert "2019-12-25" not in of_2022.text

    # A question about content that happens to say "first" still goes through retrieval.
    content = assistant.ask("Which article about the moon was published first?")
    assert "carries no date" not in content.text


def test_an_overview_quotes_each_article_and_each_story_of_the_tag_page(assistant):
    from eval.claims import split_statements

    overview = assistant.ask("What are the articles about?")
    docs = [c.doc_id for c in overview.citations]
    assert set(docs) == {d["doc_id"] for d in assistant.documents()}
    assert docs.count("002_4162cab4bec21213") >= 5  # the tag page's stories, each in its own words
    by_marker = {c.marker: c for c in overview.citations}
    for statement in split_statements(overview.text):  # every sentence is its citation's quote
        assert statement.text.rstrip(".") in by_marker[statement.markers[0]].quote


def test_answering_never_imports_llama_index_core(settings, assistant):
    """Start-up stays short: llama-index-core (about a second to import) is for indexing and LlamaIndex
    integrations only, so opening an index and answering from it do without it."""
    import subprocess
    import sys

    code = ("import sys\nfrom rag import Assistant\n"
            f"a = Assistant(corpus_dir={str(settings.corpus_dir)!r}, index_dir={str(settings.index_dir)!r}, fast=True)\n"
            "answer = a.ask('Did China deny the freeze?')\n"
            "print(not answer.abstained, 'llama_index.core' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.split() == ["True", "False"], result.stderr


def test_a_removed_document_can_leave_the_corpus_folder_and_is_kept(tmp_path):
    from rag.index.corpus import set_aside_files

    corpus, keep = tmp_path / "corpus", tmp_path / "index" / "removed-documents"
    corpus.mkdir()
    (corpus / "note.txt").write_text("first")
    (corpus / "other.md").write_text("stays")
    assert set_aside_files(corpus, "note", keep) == [keep / "note.txt"]
    (corpus / "note.txt").write_text("second")  # the same name removed again keeps both
    [again] = set_aside_files(corpus, "note", keep)
    assert again != keep / "note.txt" and again.read_text() == "second"
    assert (keep / "note.txt").read_text() == "first" and [f.name for f in corpus.iterdir()] == ["other.md"]


def test_close_lets_go_of_the_index_files_and_leaves_a_shared_judge_to_its_owner(assistant, settings, tmp_path):
    """What ``python -m eval`` does for each set: an assistant over a temporary index, closed before the folder
    goes. Its Chroma and SQLite files are let go; the judge it was given still answers for its owner."""
    import os

    from rag import Assistant
    from rag.errors import StoreUnavailable

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "lighthouse.txt").write_text("The Old Lighthouse\n\nThe lighthouse on Skerry Point was built in 1871 "
                                           "by the engineer Alan Brodie.\n")

    def held() -> list[str]:  # files under the index this process has open
        paths = [os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
        return [p for p in paths if p.startswith(str(index.resolve()))]

    with Assistant(settings.replace(corpus_dir=corpus, index_dir=index), judge=assistant.judge()) as lighthouse:
        assert lighthouse.ask("Who built the lighthouse on Skerry Point?").citations
        derived = lighthouse.derive(top_k=3)
        derived.close()  # its parent's index: still open
        assert lighthouse.ask("When was the lighthouse built?").citations and held()
    assert held() == []
    with pytest.raises(StoreUnavailable, match="closed"):
        lighthouse.ask("Who built the lighthouse?")
    with pytest.raises(StoreUnavailable, match="closed"):
        derived.ask("Who built the lighthouse?")
    lighthouse.close()  # again: nothing left to do
    assert not assistant.ask("Did China deny the freeze?").abstained  # the judge it was given is not closed
