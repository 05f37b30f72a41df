"""Run gold questions through an answerer (the assistant or the baseline) and score every answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from rag import Answer, Assistant
from rag.index.corpus import load_corpus

from .gold import GoldItem
from .judge import LexicalJudge
from .metrics import CorpusText, QuestionResult, score_answer

Answerer = Callable[[str, list[dict] | None], Answer]


def corpus_text(assistant: Assistant) -> CorpusText:
    return CorpusText({d.doc_id: d.text for d in load_corpus(assistant.settings.corpus_dir).documents})


def default_judge(assistant: Assistant, corpus: CorpusText | None = None) -> LexicalJudge:
    """The offline judge, with the corpus's word statistics and the bundled embedding model."""
    corpus = corpus or corpus_text(assistant)
    return LexicalJudge(list(corpus.docs.values()), embed=assistant.engine().embed)


def run(assistant: Assistant, items: list[GoldItem], judge=None, answerer: Answerer | None = None,
        progress: bool | Callable = False, label: str = "questions") -> list[QuestionResult]:
    """Ask every item (``answerer`` defaults to ``assistant.ask``) and score it.

    ``progress``: True for a terminal progress bar, or a function that wraps the items (a UI's tracker).
    """
    corpus = corpus_text(assistant)
    assistant.engine()  # build or open the index before timing anything
    judge = judge or default_judge(assistant, corpus)
    ask = answerer or (lambda q, history: assistant.ask(q, history=history))
    iterator = items
    if callable(progress):
        iterator = progress(items)
    elif progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc=label, unit="q")
    results = []
    for item in iterator:
        started = time.perf_counter()
        answer = ask(item.question, item.history or None)
        results.append(score_answer(item, answer, corpus, judge, seconds=time.perf_counter() - started))
    return results
