"""``python -m bench.answers``: answer time by question kind, judge on and off, and the slowest questions'
stages, measured through the real assistant (bundled judge) on the shared test index."""

from bench.answers import measure, markdown, summarise
from eval.gold import GoldItem


def _item(id_: str, question: str, history=None) -> GoldItem:
    return GoldItem(id_, "single_fact", question, "", [], [], [], history or [])


def test_the_answer_time_report_groups_questions_by_kind_and_names_the_slowest_stages(assistant):
    # The first question is asked by no other test: the judge remembers its verdicts, and a question it has
    # read before costs no judged token.
    items = [_item("a", "Which post does Alexander Sergeev hold?"),
             _item("b", "Which news agency reported it?",
                   [{"role": "user", "content": "What did Sergeev say about China?"},
                    {"role": "assistant", "content": "He said Chinese partners had put cooperation on hold."}]),
             _item("c", "Which article was published first?")]
    rows = measure(assistant, items, "bundled")
    assert [r["kind"] for r in rows] == ["factoid", "follow-up", "catalog"]
    judged = rows[0]
    assert judged["judge_tokens"] > 0 and judged["timings"]["judge"] > 0
    assert judged["off"] < judged["on"]  # the judge off answers without reading a candidate
    summary = summarise(rows)
    assert list(summary["kinds"]) == ["factoid", "follow-up", "catalog"]
    assert summary["pooled"]["on"]["n"] == 3 and summary["judge_tokens_per_second"] > 0
    assert summary["slowest"][0]["on"] == max(r["on"] for r in rows)
    about = {"machine": {"cpu": "cpu", "cores": 2, "load_before": (1.0, 1.0, 1.0)}, "when": "today",
             "load_after": (1.0, 1.0, 1.0)}
    text = markdown(summary, about)
    assert "| follow-up | 1 |" in text and "judge " in text and "Which post does Alexander Sergeev hold?" in text
