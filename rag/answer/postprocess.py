"""The steps between the ranked units and the composer, as a list of postprocessors (as llama-index-core's
node postprocessors): each reads the question's candidates and the units the step before it kept, and
returns the units it keeps with what it removed and why. A step may yield progress lines while it works
(the judge reads one passage at a time); a streaming caller shows them, and can stop there when its client
has gone. ``AnswerPipeline.postprocessors`` builds the list from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generator, Protocol

from ..models.judge import Judge
from .evidence import choose
from .expand import expand
from .injection import InjectionScreen, screened
from .presence import JUDGE_CANDIDATES, judging
from .rules import ALL, Rules
from .selection import Selector
from .units import Evidence

if TYPE_CHECKING:  # the pipeline imports this module; its Candidates is only a type here
    from .pipeline import Candidates


@dataclass(frozen=True)
class Processed:
    """What a step kept, and what it removed with the reason (shown in ``Answer.removed``)."""

    units: list[Evidence]
    removed: list[tuple[str, str]] = field(default_factory=list)


Progress = Generator[str, None, Processed]  # progress lines, then what the step kept


class Postprocessor(Protocol):
    name: str  # the stage's name in ``Answer.timings``

    def process(self, c: Candidates, units: list[Evidence]) -> Progress: ...


class JudgeFilter:
    """The judge reads the best-ranked units (``rag.answer.presence``); the learned selection, or the judge's
    bars without one, keeps those that state the answer."""

    name = "judge"

    def __init__(self, judge: Judge, threshold: float, selector: Selector | None, rules: Rules = ALL,
                 candidates: int = JUDGE_CANDIDATES):
        self.judge, self.threshold, self.selector, self.rules = judge, threshold, selector, rules
        self.candidates = candidates  # units the judge reads (RAG_JUDGE_CANDIDATES)

    def process(self, c: Candidates, units: list[Evidence]) -> Progress:
        yield f"Checking the {min(len(units), self.candidates)} best passages with the judge …"
        removed: list[tuple[str, str]] = []
        steps = judging(self.judge, c.query.profile, units, c.passages, self.threshold, removed, self.selector,
                        self.rules, self.candidates)
        while True:
            try:
                done, total = next(steps)
            except StopIteration as finished:
                return Processed(finished.value, removed)
            yield f"Checked {done} of {total} passages with the judge …"


class ChooseAndExpand:
    """The units that make the answer (``rag.answer.evidence.choose``), each grown over the sentences of its
    paragraph that go on with it (``rag.answer.expand``); with a ``screen``, a paragraph the judge takes for
    orders to an AI is kept out and the choice made again without it (``rag.answer.injection.screened``)."""

    name = "expand"

    def __init__(self, screen: InjectionScreen | None = None):
        self.screen = screen

    def process(self, c: Candidates, units: list[Evidence]) -> Progress:
        yield from ()  # no progress to show: milliseconds, and a judge's read when a quote is screened
        q = c.query.profile
        chosen, removed = screened(lambda kept: expand(choose(kept, q), c.units, q, c.passages), units, c.passages,
                                   self.screen)
        return Processed(chosen, removed)
