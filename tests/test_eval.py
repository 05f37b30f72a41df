"""The faithfulness eval: a validated gold set, a judge that can fail, planted unfaithful answers caught,
reports written, the thresholds gate, the baseline and the LLM judge against real components."""

import json

import pytest

from eval.__main__ import main as eval_main
from eval.gold import SET_TYPES, TYPES, GoldError, load_gold
from eval.judge import LABELS, LLMJudge, judge_accuracy, load_judge_set
from eval.metrics import score_answer, summarize
from eval.report import compare
from eval.run import corpus_text, default_judge
from rag import Answer, Citation

from .conftest import CORPUS

CABLES = ("In return, China supplied high-quality superconducting cables for a large particle accelerator in "
          "Russia that is expected to start work this year.")
ZHAO = ("Asked for his reaction at a media briefing here on Friday, Chinese Foreign Ministry spokesman Zhao did "
        "not deny the charge but played it down, saying there is immense potential and broad prospects.")
DOC_000, DOC_001 = "000_2561fe39030d5e94", "001_2082d504f351398b"


@pytest.fixture(scope="session")
def judge(assistant):
    return default_judge(assistant)


@pytest.fixture(scope="session")
def corpus(assistant):
    return corpus_text(assistant)


@pytest.fixture(scope="session")
def gold():
    return {item.id: item for item in load_gold(corpus_dir=CORPUS)}


def planted(text: str, *citations: Citation) -> Answer:
    return Answer(text, list(citations), False, sources=[{"doc_id": c.doc_id} for c in citations],
                  passages=[{"doc_id": c.doc_id, "text": c.quote} for c in citations])


def test_the_gold_set_validates_and_covers_every_type(gold):
    items = list(gold.values())
    assert len(items) >= 40
    assert {i.type for i in items} == set(TYPES)
    assert sum(not i.answerable for i in items) >= 6
    assert any(i.question == "Did China deny the freeze?" for i in items)
    assert all(i.history for i in items if i.type == "follow_up")


def test_a_gold_quote_that_is_not_in_its_document_is_rejected(tmp_path):
    line = {"id": "x1", "type": "single_fact", "question": "Q?", "answer": "A.", "key_facts": [["a"]],
            "doc_ids": [DOC_000], "quotes": ["Zhao confirmed the freeze"]}
    bad = tmp_path / "gold.jsonl"
    bad.write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(GoldError, match="duplicate id x1.*quote not found"):
        load_gold(bad, CORPUS)


def test_the_offline_judge_is_measured_on_labelled_pairs_and_can_say_no(judge):
    cases = load_judge_set()
    assert len(cases) >= 30
    assert {c.label for c in cases} == {"supported", "contradicted", "unsupported", "wrong_number", "wrong_entity"}
    report = judge_accuracy(judge, cases)
    assert report["accuracy"] >= 0.8
    assert report["per_label"]["wrong_number"] == 1.0
    assert report["per_label"]["contradicted"] == 1.0


def test_a_faithful_answer_passes_every_check(assistant, judge, corpus, gold):
    item = gold["q01"]
    result = score_answer(item, assistant.ask(item.question), corpus, judge)
    assert result.correct
    assert {c["class"] for c in result.citation_checks} == {"supported"}
    assert all(c["by_cited"] for c in result.claims)


def test_an_invented_fact_is_caught(judge, corpus, gold):
    answer = planted("China supplied 500 fighter jets to Russia [1].",
                     Citation(1, DOC_001, "t", "2022-04-16", CABLES, 1.0))
    result = score_answer(gold["q09"], answer, corpus, judge)
    assert not result.correct
    assert result.claims[0]["by_cited"] is False
    assert result.citation_checks[0]["class"] == "unsupporting"
    assert summarize([result])["faithfulness_cited"] == 0.0


def test_a_citation_to_the_wrong_article_is_caught(judge, corpus, gold):
    answer = planted("Zhao did not deny the charge but played it down [1].", Citation(1, DOC_001, "t", None, ZHAO, 1.0))
    result = score_answer(gold["q01"], answer, corpus, judge)
    assert result.citation_checks[0]["class"] == "misattributed"
    assert result.citation_checks[0]["found_in"] == [DOC_000]
    assert not result.correct


def test_a_dangling_marker_is_caught(judge, corpus, gold):
    answer = planted("Zhao did not deny the charge but played it down [1]. He confirmed the freeze [2].",
                     Citation(1, DOC_000, "t", None, ZHAO, 1.0))
    result = score_answer(gold["q01"], answer, corpus, judge)
    assert result.dangling_markers == [2]
    assert result.statements[1]["supported"] is False
    assert not result.correct


def test_a_quote_of_several_sentences_is_one_statement_checked_against_its_citation():
    from eval.claims import split_statements

    found = split_statements("Popular conferences are listed below: A. Conferences ▪ NIPS ▪ ICLR [1]. Unbacked.")
    assert [(s.text, s.markers) for s in found] == [
        ("Popular conferences are listed below: A. Conferences ▪ NIPS ▪ ICLR.", [1]), ("Unbacked.", [])]


def test_fabricated_and_stitched_quotes_are_told_apart(judge, corpus, gold):
    stitched = "Zhao did not deny the charge but there is no such a problem for scientists"
    fabricated = "Zhao confirmed that all cooperation with Russia has been frozen indefinitely"
    answer = planted("Zhao did not deny the charge [1]. Zhao confirmed the freeze [2].",
                     Citation(1, DOC_000, "t", None, stitched, 1.0), Citation(2, DOC_000, "t", None, fabricated, 1.0))
    result = score_answer(gold["q01"], answer, corpus, judge)
    assert [c["class"] for c in result.citation_checks] == ["stitched", "fabricated"]


def test_an_answer_to_an_unanswerable_question_is_caught(judge, corpus, gold):
    answer = planted("Andrei Sakharov won the 2022 Nobel Prize in Physics [1].", Citation(1, DOC_000, "t", None, ZHAO, 1.0))
    result = score_answer(gold["q37"], answer, corpus, judge)
    assert not result.abstention_correct and not result.correct
    assert summarize([result])["abstained_when_unanswerable"] == 0.0


def test_the_cli_writes_a_report_and_gates_on_thresholds(settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_dir))
    strict = tmp_path / "strict.toml"
    strict.write_text("[min]\nanswerable_correct = 1.01\n[max]\ncitations_fabricated = 0\n")
    out = tmp_path / "reports"
    assert eval_main(["--limit", "3", "--sets", "none", "--out", str(out), "--check", "--thresholds", str(strict)]) == 1
    assert "answerable_correct" in capsys.readouterr().err

    folder = next(out.iterdir())
    for name in ("results.json", "report.md", "report.html", "metrics.png"):
        assert (folder / name).stat().st_size > 0
    payload = json.loads((folder / "results.json").read_text())
    run = payload["runs"]["bundled"]
    assert len(run["results"]) == 3 and run["summary"]["questions"] == 3
    assert {"faithfulness_cited", "citation_recall", "citation_precision", "retrieval_mrr",
            "latency_p95_s", "citations_misattributed"} <= set(run["summary"])
    assert "<script" not in (folder / "report.html").read_text()
    assert "| metric |" in compare([folder, folder])

    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[min]\ncitation_recall = 0.5\n")
    assert eval_main(["--limit", "2", "--sets", "none", "--no-report", "--check", "--thresholds", str(lenient)]) == 0


def test_an_external_set_is_indexed_on_its_own_and_gated_by_its_thresholds(settings, tmp_path, monkeypatch, capsys):
    """The format of ../shared/eval-sets: corpus/ + gold.jsonl with "must" regex groups and "answerable"."""
    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_dir))
    # The judge's bars: this tests how a set is read, indexed and gated. (The learned selection answers the
    # near-miss t3 from the one sentence naming a person, P 0.48 against its 0.475: the trade README states.)
    monkeypatch.setenv("RAG_SELECTION", "bars")
    tiny = tmp_path / "sets" / "tiny"
    (tiny / "corpus").mkdir(parents=True)
    (tiny / "corpus" / "lighthouse.txt").write_text(
        "The Old Lighthouse\n\nThe lighthouse on Skerry Point was built in 1871 by the engineer Alan Brodie. "
        "Its lamp was converted to electricity in 1923.\n\nThe keeper's cottage now houses a small museum.\n")
    rows = [{"id": "t1", "q": "Who built the lighthouse on Skerry Point?", "answerable": True,
             "must": [["brodie"]], "docs": ["lighthouse"]},
            {"id": "t2", "q": "In what year was the lamp converted to electricity?", "answerable": True,
             "must": [["1923"]], "docs": ["lighthouse"]},
            {"id": "t3", "q": "Who was the first keeper of the lighthouse on Skerry Point?", "answerable": False,
             "must": [], "docs": []}]
    (tiny / "gold.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    limits = tmp_path / "limits.toml"
    limits.write_text("[min]\nanswerable_correct = 0.0\n[sets.tiny.min]\nanswerable_correct = 1.0\n"
                      "abstained_when_unanswerable = 1.0\n[sets.tiny.max]\ndangling_markers = 0\n")
    code = eval_main(["--sets", str(tmp_path / "sets"), "--set", "tiny", "--no-report", "--json", "--check",
                      "--thresholds", str(limits)])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)["tiny"]
    assert summary["questions"] == 3
    assert code == 0, captured.err
    assert summary["answerable_correct"] == 1.0 and summary["abstained_when_unanswerable"] == 1.0


def test_the_baseline_citation_query_engine_answers_through_the_same_index(assistant):
    from eval.baseline import BASELINE_TOP_K, baseline_answerer

    answer = baseline_answerer(assistant)("Did China deny the freeze?")
    assert isinstance(answer, Answer) and answer.text.strip()
    corpus_ids = {d["doc_id"] for d in assistant.documents()}
    assert len(answer.sources) == BASELINE_TOP_K and {s["doc_id"] for s in answer.sources} <= corpus_ids
    sources_text = " ".join(p["text"] for p in answer.passages)
    assert all(c.quote in sources_text and c.doc_id in corpus_ids for c in answer.citations)


def test_the_llm_judge_runs_through_the_openai_client(llama_server):
    judge = LLMJudge(llama_server, "bundled")
    verdicts = [judge.judge(c.claim, c.passage) for c in load_judge_set()[:3]]
    assert all(v.label in LABELS for v in verdicts)
    assert not any(v.reason.startswith("unparsable") for v in verdicts)  # the model answered in labels


def test_only_a_report_runs_own_files_are_served(tmp_path, monkeypatch):
    import eval.report as report

    monkeypatch.setattr(report, "REPORTS", tmp_path)
    (tmp_path / "20261125-101056").mkdir()
    (tmp_path / "20261125-101056" / "report.md").write_text("# report")
    (tmp_path / "secret.txt").write_text("no")
    assert report.report_file("20261125-101056", "report.md") == tmp_path / "20261125-101056" / "report.md"
    assert report.report_file("20261125-101056", "report.html") is None  # not written
    assert report.report_file("..", "report.md") is None and report.report_file("x/..", "report.md") is None
    assert report.report_file("20261125-101056", "secret.txt") is None


def test_an_external_sets_follow_ups_keep_their_dialog_and_questions_get_their_row(tmp_path):
    """doc2dial's follow-ups are asked with the turns before them; yes/no questions are reported apart."""
    from eval.sets import EvalSet, load_set_items

    folder = tmp_path / "dialogs"
    (folder / "corpus").mkdir(parents=True)
    history = [{"role": "user", "content": "I need help with survivor benefits."},
               {"role": "assistant", "content": "Do you need information about planning?"}]
    rows = [{"id": "d1", "q": "What would my widower receive?", "answerable": True, "must": [["reduced"]],
             "docs": ["ssa"], "history": history, "kind": ["followup", "dialog"]},
            {"id": "d2", "q": "Is Jimmie a criminal?", "answerable": True, "must": [["\\byes\\b"]], "docs": ["m"],
             "kind": ["yesno_yes"]},
            {"id": "d3", "q": "Who was the first keeper?", "answerable": False, "must": [], "docs": [],
             "kind": ["unanswerable"]}]
    (folder / "gold.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = load_set_items(EvalSet("dialogs", folder / "corpus", folder / "gold.jsonl"))
    assert [i.type for i in items] == ["follow_up", "yes_no", "unanswerable"]
    assert items[0].history == history and items[1].history == []
    assert all(i.type in SET_TYPES for i in items)


def test_a_failed_answerable_question_says_where_it_was_lost():
    from eval.gold import GoldItem
    from eval.judge import LexicalJudge
    from eval.metrics import CorpusText, loss_stage

    item = GoldItem("x1", "single_fact", "Who built it?", "Brodie", [["brodie"]], ["d"], [], patterns=True)
    passage = {"doc_id": "d", "title": "T", "date": None, "text": "It was built by Alan Brodie.", "start": 0, "end": 28}
    elsewhere = dict(passage, text="The lamp was converted in 1923.")
    rejected = Answer("The documents don't say.", [], True, passages=[passage],
                      removed=[("It was built by Alan Brodie.", "judge: does not state the answer (P(answered)=0.05)")])
    assert loss_stage(item, rejected, ["brodie"], False) == "rejected by the selection"
    learned = Answer("The documents don't say.", [], True, passages=[passage], removed=[
        ("It was built by Alan Brodie.", "selection: P(states the answer)=0.20, judge P(answered)=0.05")])
    assert loss_stage(item, learned, ["brodie"], False) == "rejected by the selection"
    assert loss_stage(item, Answer("…", [], True, passages=[elsewhere]), ["brodie"], False) == "not retrieved"
    assert loss_stage(item, Answer("…", [], True, passages=[passage]), ["brodie"], False) == "abstained before the judge"
    wrong = Answer("The lamp was converted in 1923. [1]", [], False, passages=[passage])
    assert loss_stage(item, wrong, ["brodie"], False) == "answered with the wrong units"
    assert loss_stage(item, wrong, [], True) is None
    corpus = CorpusText({"d": "It was built by Alan Brodie."})
    summary = summarize([score_answer(item, rejected, corpus, LexicalJudge(["x"]))])
    assert summary["lost: rejected by the selection"] == 1


def test_cross_runs_each_set_again_with_the_selection_fitted_without_it(settings, tmp_path, monkeypatch, capsys):
    """--cross: the bundled set once with the pool's selector and once with one fitted on the other sets;
    the table says both, the report keeps it, and --check gates the gap."""
    from eval.__main__ import CROSS_TOLERANCE, cross_problems

    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_dir))
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[min]\ncitation_recall = 0.0\n")
    out = tmp_path / "reports"
    code = eval_main(["--limit", "2", "--sets", "none", "--cross", "--out", str(out), "--check",
                      "--thresholds", str(lenient)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "leave one set out" in printed and "\nbundled " in printed.split("leave one set out")[1]
    crossed = json.loads((next(out.iterdir()) / "cross.json").read_text())
    assert crossed["held_out"]["bundled"]["questions"] == 2 == crossed["in_sample"]["bundled"]["questions"]

    inside = {"a": {"answerable_correct": 0.8, "abstained_when_unanswerable": 1.0}}
    assert cross_problems(inside, {"a": {"answerable_correct": 0.8 - CROSS_TOLERANCE + 0.01,
                                         "abstained_when_unanswerable": None}}) == []
    assert "a: held out answerable_correct" in cross_problems(inside, {"a": {"answerable_correct": 0.7}})[0]

    monkeypatch.setenv("RAG_SELECTION", "bars")
    assert eval_main(["--limit", "1", "--sets", "none", "--cross", "--no-report"]) == 2
    assert "--cross measures the learned selection" in capsys.readouterr().err


def test_the_ci_sample_keeps_every_kind_of_question_in_its_share_the_same_on_every_run():
    from types import SimpleNamespace

    from eval.sample import spread_sample

    kinds = ["single_fact"] * 42 + ["unanswerable"] * 18  # SQuAD's mix, unanswerables in a block at the end
    items = [SimpleNamespace(id=f"q{n:02}", type=kind) for n, kind in enumerate(kinds)]
    sample = spread_sample(items, 16)
    assert len(sample) == 16 and sample == spread_sample(items, 16)
    assert [i.id for i in sample] == sorted(i.id for i in sample)  # the set's own order
    assert sum(i.type == "unanswerable" for i in sample) == 5  # 18/60 of 16, rounded
    facts = [int(i.id[1:]) for i in sample if i.type == "single_fact"]
    assert facts[0] < 5 and facts[-1] > 36  # spread over the set, not its first questions
    rare = items[:30] + [SimpleNamespace(id="y", type="yes_no")]  # a kind of one question is never left out
    assert "yes_no" in {i.type for i in spread_sample(rare, 4)}
    assert spread_sample(items[:6], 16) == items[:6]  # a set smaller than the sample: all of it


def test_a_sampled_run_is_checked_against_the_samples_own_floors(tmp_path):
    from eval.report import check_thresholds
    from eval.sample import sample_size

    limits = tmp_path / "limits.toml"
    limits.write_text("[sampling]\nsize = 16\n[min]\nanswerable_correct = 0.9\n[sample.min]\nanswerable_correct = 0.8\n"
                      "[sets.s.min]\nanswerable_correct = 0.9\nretrieval_mrr = 0.9\n[sets.s.sample.min]\n"
                      "answerable_correct = 0.75\n")
    figures = {"answerable_correct": 0.8125, "retrieval_mrr": 0.95}
    assert sample_size(limits) == 16
    assert check_thresholds(figures, limits, "bundled") and not check_thresholds(figures, limits, "bundled", sample=True)
    assert check_thresholds(figures, limits, "s") and not check_thresholds(figures, limits, "s", sample=True)
    # a floor the sample's table does not name still holds on the sample
    assert check_thresholds(figures | {"retrieval_mrr": 0.5}, limits, "s", sample=True)
    limits.write_text("[min]\nanswerable_correct = 0.9\n")
    with pytest.raises(ValueError, match=r"\[sampling\] size"):
        sample_size(limits)
