"""The answer pipeline's seams: a judge, composer or guard swapped in the way the pipeline itself uses them.

Fakes stand in for the learned judge here so each stage's contract is tested alone and fast; the real
bundled judge is tested in test_judge.py and end to end in test_assistant.py.
"""

import pytest

from rag.answer.pipeline import AnswerPipeline


class ScriptedJudge:
    """A judge whose verdicts are given: P(yes) by a substring of the candidate, else ``default``."""

    def __init__(self, verdicts: dict[str, float] | None = None, default: float = 0.0, yes_no: float = 0.5):
        self.verdicts = verdicts or {}
        self.default = default
        self.p_yes = yes_no
        self.seen: list[str] = []

    def _p(self, text: str) -> float:
        self.seen.append(text)
        return next((p for key, p in self.verdicts.items() if key in text), self.default)

    def answers(self, question, candidates):
        return [self._p(c) for c in candidates]

    def entails(self, premise, claims):
        return [self._p(c) for c in claims]

    def yes_no(self, question, passage):
        return self.p_yes

    def referents(self, conversation, question, pronoun, options):
        return [1.0] + [0.0] * (len(options) - 1)  # the first named: the newest exchange's first name

    def instructions(self, passages):
        return [0.0] * len(passages)  # no passage of the bundled corpus gives orders to an AI

    def instruction_reading(self):
        return "scripted"  # no chunk was read under it: the phrase patterns screen


@pytest.fixture
def pipeline_with(assistant):
    """A pipeline over the shared test index with the judge replaced (the same seam Assistant uses)."""
    engine = assistant.engine()

    def make(judge, writer=None, **changes):
        # The judge's bars by default: these tests script verdicts against them; the learned selection is
        # tested on its own below.
        settings = assistant.settings.replace(**{"selection": "bars", **changes})
        return AnswerPipeline(settings, engine.retriever, engine.lexical, engine.embed,
                              (lambda: writer) if writer else (lambda: pytest.fail("no generator expected")),
                              lambda: judge)
    return make


MOON = "What do China and Russia plan to build on the moon?"


class ScriptedWriter:
    """A model that writes the given draft, a few characters at a time (the generator's streaming seam)."""

    def __init__(self, draft: str):
        self.draft = draft
        self.asked: list[list[dict]] = []

    def stream(self, messages, max_tokens=400):
        self.asked.append(messages)
        for i in range(0, len(self.draft), 7):
            yield self.draft[i:i + 7]


def test_a_judge_that_rejects_everything_makes_the_answer_abstain(pipeline_with):
    judge = ScriptedJudge(default=0.0)
    answer = pipeline_with(judge).answer(MOON)
    assert answer.abstained and answer.citations == []
    assert judge.seen, "the judge was asked"
    assert any(why.startswith("judge:") for _, why in answer.removed)


def test_an_abstention_before_the_judge_says_why(pipeline_with):
    """A name no document mentions: abstained without asking the judge, and the answer says so."""
    judge = ScriptedJudge(default=0.9)
    answer = pipeline_with(judge).answer("Who won the 2022 Nobel Prize in Physics?")
    assert answer.abstained and not judge.seen
    assert [why for _, why in answer.removed] == ["not plausible: no document mentions Nobel, Prize"]


def test_only_units_the_judge_accepts_are_shown(pipeline_with):
    judge = ScriptedJudge({"research station": 0.9})
    answer = pipeline_with(judge).answer(MOON)
    assert not answer.abstained
    assert all("research station" in c.quote for c in answer.citations)
    assert answer.citations[0].score == pytest.approx(0.9)


def test_an_explanation_needs_a_weaker_verdict_than_a_fact(pipeline_with, monkeypatch):
    """The judge is asked for a few words, which a how/why answer has not: its bar is lower."""
    from rag.answer.presence import EXPLANATION_THRESHOLD
    monkeypatch.setattr("rag.answer.presence.FULL_COVERAGE", 1.01)  # no weak accept for words seen in context
    judge = ScriptedJudge(default=(EXPLANATION_THRESHOLD + 0.25) / 2)  # between the two bars
    pipeline = pipeline_with(judge, judge_threshold=0.25)
    assert pipeline.answer(MOON).abstained
    assert not pipeline.answer("Why do China and Russia plan to build a station on the moon?").abstained


def test_a_how_many_answer_must_state_a_number(pipeline_with):
    """However sure the judge is, a sentence without a number does not answer "how many"."""
    answer = pipeline_with(ScriptedJudge({"on hold": 0.9})).answer(
        "How many projects did the Chinese partners of the RAS put on hold?")
    assert answer.abstained
    assert any("no place or number" in why for _, why in answer.removed)


def test_a_unit_offering_the_asked_type_needs_a_weaker_verdict(pipeline_with, monkeypatch):
    from rag.answer.presence import TYPED_THRESHOLD
    monkeypatch.setattr("rag.answer.presence.FULL_COVERAGE", 1.01)  # no weak accept for words seen in context
    judge = ScriptedJudge(default=(TYPED_THRESHOLD + 0.25) / 2)
    answer = pipeline_with(judge, judge_threshold=0.25).answer(
        "How many joint research and exchange programmes have China and Russia set up?")
    assert not answer.abstained and any(ch.isdigit() for ch in answer.citations[0].quote)


def test_yes_no_questions_are_not_left_to_the_presence_judge(pipeline_with):
    """Measured: the bundled model says "unknown" to most passages that answer a yes/no question with no."""
    judge = ScriptedJudge(default=0.0)
    answer = pipeline_with(judge).answer("Did China deny the freeze?")
    assert not answer.abstained


def test_a_confident_judge_gives_a_direct_lead_quoting_the_best_unit(pipeline_with):
    judge = ScriptedJudge({"did not deny": 0.9}, yes_no=0.05)
    answer = pipeline_with(judge).answer("Did China deny the freeze?")
    assert answer.text.startswith("No — ")
    assert "did not deny" in answer.text.split("[1]")[0]
    assert answer.text.count("did not deny the charge") == 1  # the lead's unit is not repeated


def test_an_unsure_judge_gives_no_lead(pipeline_with):
    answer = pipeline_with(ScriptedJudge({"did not deny": 0.9}, yes_no=0.5)).answer("Did China deny the freeze?")
    assert not answer.text.startswith(("Yes", "No"))


def test_a_lead_needs_the_quote_to_agree(pipeline_with):
    """The judge leaning to "yes" cannot open with "Yes" on a quote that says "did not deny"."""
    answer = pipeline_with(ScriptedJudge(yes_no=0.95)).answer("Did China deny the freeze?")
    assert not answer.text.startswith("Yes")


def test_fast_mode_never_calls_the_judge(pipeline_with):
    judge = ScriptedJudge(default=0.0)
    answer = pipeline_with(judge, fast=True).answer(MOON)
    assert not answer.abstained and judge.seen == []


AGREE = "Do the sources agree on whether China-Russia scientific cooperation was frozen?"


def test_do_the_sources_agree_quotes_each_source_side_by_side(pipeline_with):
    answer = pipeline_with(ScriptedJudge(default=0.0)).answer(AGREE)
    assert len({c.doc_id for c in answer.citations}) >= 2, "one quote per source, from several sources"
    assert answer.text.startswith("No — "), "no quote entails another either way: they differ"
    assert "According to" in answer.text  # the other side is named


def test_sources_that_entail_each_other_agree(pipeline_with):
    answer = pipeline_with(ScriptedJudge(default=0.9)).answer(AGREE)
    assert answer.text.startswith("Yes — ")


def test_without_the_judge_the_sides_stand_without_a_verdict(pipeline_with):
    answer = pipeline_with(ScriptedJudge(default=0.0), fast=True).answer(AGREE)
    assert len({c.doc_id for c in answer.citations}) >= 2
    assert not answer.text.startswith(("Yes", "No"))


def test_a_capitalised_word_opening_the_second_part_of_a_question_is_not_an_unknown_name(pipeline_with):
    answer = pipeline_with(ScriptedJudge({"research station": 0.9})).answer(
        "What is the weather like? What will China and Russia build on the moon?")
    assert not answer.abstained


def test_a_request_starting_with_can_you_is_not_a_yes_no_question(pipeline_with):
    answer = pipeline_with(ScriptedJudge({"research station": 0.9}, yes_no=0.95)).answer(
        "Can you describe what China and Russia plan to build on the moon?")
    assert not answer.text.startswith(("Yes", "No"))
    assert all("research station" in c.quote for c in answer.citations)


def test_only_several_sources_make_a_comparison():
    from rag.answer.compare import comparison_topic

    assert comparison_topic("Do the sources agree on the freeze?") == "freeze"
    assert comparison_topic("How do the reports of the freeze differ?") is not None
    # "different" and a single "document" ask about the content, not whether sources agree.
    assert comparison_topic("What are the different types of approaches mentioned in the document? "
                            "How do they differ from each other?") is None


def test_everything_before_the_judge_is_one_stage_the_answer_and_the_eval_share(pipeline_with):
    """``candidates``: the question understood once (standalone, profiled) and its units ranked; a corpus-level
    question stops at the route."""
    pipeline = pipeline_with(ScriptedJudge())
    c = pipeline.candidates("What did he say about the moon?",
                            history=[{"role": "user", "content": "Who is Alexander Sergeev?"},
                                     {"role": "assistant", "content": "The president of the Russian Academy."}])
    query = c.query
    assert "Sergeev" in query.standalone and query.profile.text == query.standalone and query.route == "answer"
    assert query.question == "What did he say about the moon?"
    assert c.units and [u.score for u in c.units] == sorted((u.score for u in c.units), reverse=True)
    assert all(1 <= u.passage <= len(c.passages) for u in c.units)
    routed = pipeline.candidates("Which article was published first?")
    assert routed.query.route == "catalog" and routed.query.profile is None and routed.units == []
    compared = pipeline.understand("Do the sources agree on whether cooperation was frozen? Answer in French.")
    assert compared.route == "compare" and compared.topic and compared.directives


def test_every_answer_says_what_the_question_was_taken_for_and_where_its_time_went(pipeline_with):
    """``Answer.kind`` and ``Answer.timings`` (seconds per stage, in order): what ``python -m bench.answers``
    reports per question kind and for the slowest questions."""
    pipeline = pipeline_with(ScriptedJudge({"moon": 0.9}))
    answer = pipeline.answer(MOON)
    assert answer.kind == "factoid" and not answer.abstained
    assert list(answer.timings) == ["understand", "retrieve", "widen", "rank", "judge", "expand", "compose"]
    assert all(v >= 0 for v in answer.timings.values()) and sum(answer.timings.values()) <= answer.seconds + 0.01
    assert answer.judge_tokens == 0  # a scripted judge does not say what its verdicts cost
    assert pipeline.answer("Did China deny the freeze?").kind == "yes/no"
    assert pipeline.answer("Which article was published first?").kind == "catalog"
    assert pipeline.answer("Do the sources agree on whether cooperation was frozen?").kind == "comparison"
    fast = pipeline_with(ScriptedJudge(), fast=True).answer(MOON)
    assert "judge" not in fast.timings and fast.kind == "factoid"



def test_the_learned_selection_answers_when_its_surest_unit_is_sure_and_keeps_what_it_reaches(pipeline_with):
    """RAG_SELECTION=learned (the default): rag/answer/selection.json decides from the judge's verdicts and the rank
    features together; what it does not keep is listed in ``removed`` with its probability."""
    from rag.answer.selection import load_selector

    selector = load_selector()
    sure = pipeline_with(ScriptedJudge({"moon": 0.95}, default=0.01), selection="learned").answer(MOON)
    assert not sure.abstained and "moon" in sure.text
    nothing = pipeline_with(ScriptedJudge(default=0.001), selection="learned").answer(MOON)
    assert nothing.abstained
    reasons = [why for _, why in nothing.removed if why.startswith("selection:")]
    assert len(reasons) == 3 and all(float(r.split("=")[1].split(",")[0]) < selector.threshold for r in reasons)


def test_a_selector_file_named_by_rag_selection_decides(pipeline_with, tmp_path):
    """RAG_SELECTION=<file>: the pool's selector with its answer threshold out of reach never answers, and
    says so in ``removed``; the same verdicts under the pool's own selector answer."""
    import json

    from rag.answer.selection import SELECTION_FILE

    data = json.loads(SELECTION_FILE.read_text()) | {"threshold": 0.999}
    strict = tmp_path / "strict-selection.json"
    strict.write_text(json.dumps(data))
    judge = ScriptedJudge({"moon": 0.95}, default=0.01)
    assert not pipeline_with(judge, selection="learned").answer(MOON).abstained
    refused = pipeline_with(judge, selection=str(strict)).answer(MOON)
    assert refused.abstained
    assert any(why.startswith("selection:") for _, why in refused.removed)


def test_the_judge_reads_as_many_units_as_rag_judge_candidates_says(pipeline_with):
    """RAG_JUDGE_CANDIDATES: the judge's budget per question, the best-ranked units first; every unit read and
    not kept is listed in ``removed``."""
    class Counting(ScriptedJudge):
        read = 0

        def answers(self, question, candidates):
            self.read += len(candidates)
            return super().answers(question, candidates)

    for candidates in (1, 3, 5):
        judge = Counting(default=0.001)
        answer = pipeline_with(judge, selection="learned", judge_candidates=candidates).answer(MOON)
        assert judge.read == candidates and answer.abstained
        assert len([why for _, why in answer.removed if why.startswith("selection:")]) == candidates


def test_the_composer_is_chosen_from_the_settings_not_from_the_backend(pipeline_with):
    """RAG_COMPOSER: the model composer writes from the passages and the guard keeps what they support,
    on any backend; the extractive one quotes the evidence verbatim and never calls a model, on any backend."""
    from rag.answer.composers import composer_name
    from rag.settings import Settings

    judge = ScriptedJudge({"moon": 0.95}, default=0.01)
    writer = ScriptedWriter("China and Russia plan to build a research station on the moon [1]. "
                            "The station will be made of cheese [1].")
    written = pipeline_with(judge, writer, composer="model").answer(MOON)
    assert writer.asked and not written.abstained
    assert "research station" in written.text and "cheese" not in written.text
    assert any("cheese" in text for text, _ in written.removed)

    remote = dict(backend="openai-compatible", base_url="http://127.0.0.1:9/v1", model="any")
    quoted = pipeline_with(judge, None, composer="extractive", **remote).answer(MOON)
    assert not quoted.abstained and all(c.quote in quoted.text or c.quote[:40] in quoted.text
                                        for c in quoted.citations)
    assert [composer_name(Settings(**remote)), composer_name(Settings())] == ["model", "extractive"]


def test_the_steps_after_ranking_are_a_list_each_returning_what_it_kept_and_removed(pipeline_with):
    """``postprocessors``: the judge's filter (not when fast) then choose-and-expand; a step added to the list
    runs in its place, its progress streamed, its time counted and what it removed listed with its reason."""
    from rag.answer.postprocess import Processed

    pipeline = pipeline_with(ScriptedJudge({"moon": 0.95}, default=0.01))
    q = pipeline.understand(MOON).profile
    assert [s.name for s in pipeline.postprocessors(q)] == ["judge", "expand"]
    assert [s.name for s in pipeline_with(ScriptedJudge(), fast=True).postprocessors(q)] == ["expand"]

    class DropTheMoon:
        name = "drop"

        def process(self, c, units):
            yield "Dropping the moon …"
            kept = [u for u in units if "moon" not in u.text.lower()]
            return Processed(kept, [(u.text, "drop: a test step") for u in units if u not in kept])

    everything = pipeline.postprocessors
    pipeline.postprocessors = lambda q: [DropTheMoon(), *everything(q)]
    streamed = list(pipeline.answer_stream(MOON))
    answer = streamed[-1]
    assert "Dropping the moon …" in [a.status for a in streamed]
    assert "drop" in answer.timings and any(why == "drop: a test step" for _, why in answer.removed)
    assert all("moon" not in c.quote.lower() for c in answer.citations)
