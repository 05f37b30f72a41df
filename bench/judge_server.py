"""Does the judge on a model server give the in-process judge's verdicts? ``python -m bench.judge_server``

Starts llama.cpp's OpenAI-compatible server (``llama_cpp.server``) on the bundled GGUF, then scores the same
labelled pairs with ``rag.models.judge.LlamaJudge`` (in-process) and ``rag.models.judge_server.ServerJudge``
(over HTTP):

* answers: each bundled gold question with its own gold quote (answers it) and with the gold quote of the
  next question from another document (does not);
* entailment: the claim/passage pairs of ``eval/judge_set.jsonl``;
* yes/no: each bundled question asked yes or no (and answered so) with its gold quote.

Prints, per kind: the largest and mean difference of the scores, how many verdicts agree at the answer
path's bars (``RAG_JUDGE_THRESHOLD`` for answers, ``rag.models.judge.ENTAILED`` otherwise), each judge's AUC on the
labels, and seconds per verdict; and, as the scale of those differences, how far the in-process judge's own
scores move when it reads each prompt whole in one evaluation instead of head and candidate apart (the
floating-point sums of a quantised model depend on the batches). ``--limit N``: the first N pairs of each kind.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from bench.servers import llama_server
from eval.gold import load_gold
from eval.judge import load_judge_set
from rag import Settings
from rag.models.judge import ENTAILED, LlamaJudge
from rag.models.judge_server import ServerJudge
from rag.models.llm import bundled_gguf_path

ROOT = Path(__file__).resolve().parent.parent


def labelled_pairs(settings: Settings, limit: int | None = None) -> dict[str, list[tuple[str, str, bool]]]:
    """{kind: [(first, second, label)]}: (question, passage) for answers and yes/no, (passage, claim) for
    entailment."""
    gold = [g for g in load_gold(ROOT / "eval" / "gold.jsonl", settings.corpus_dir) if g.quotes]
    answers: list[tuple[str, str, bool]] = []
    for i, item in enumerate(gold):
        other = next((g for g in gold[i + 1:] + gold[:i] if set(g.doc_ids).isdisjoint(item.doc_ids)), None)
        answers.append((item.question, item.quotes[0], True))
        if other is not None:
            answers.append((item.question, other.quotes[0], False))
    entail = [(c.passage, c.claim, c.supported) for c in load_judge_set()]
    yes_no = [(g.question, g.quotes[0], g.answer.lower().startswith("yes")) for g in gold
              if re.match(r"(?i)(yes|no)\b", g.answer) and re.match(r"(?i)(is|are|was|were|did|does|do|has|have|can)\b",
                                                                g.question)]
    pairs = {"answers": answers, "entailment": entail, "yes/no": yes_no}
    return {kind: found[:limit] if limit else found for kind, found in pairs.items()}


class WholePromptJudge(LlamaJudge):
    """The in-process judge reading each prompt in one evaluation from an empty cache: how far its own
    verdicts move when a prompt is evaluated in other batches (the answer path evaluates the prompt's head,
    then the candidate; a server splits where its cache ends)."""

    def _score(self, prompt, fields, candidates, read):
        from rag.models.judge import _SPLIT

        system, user = self.prompts.chat(prompt, **fields, candidate=_SPLIT)
        with self._lock:
            llm = self._model()
            head, tail = self._render(system, user).split(_SPLIT)
            scores = []
            for candidate in candidates:
                llm.reset()
                llm.eval(self._prompt_tokens(head, candidate, tail))
                scores.append(read(self._logits(llm), candidate))
            return scores


def score(judge, kind: str, pairs: list[tuple[str, str, bool]]) -> tuple[list[float], float]:
    started = time.perf_counter()
    if kind == "answers":
        scores = [judge.answers(q, [p])[0] for q, p, _ in pairs]
    elif kind == "entailment":
        scores = [judge.entails(passage, [claim])[0] for passage, claim, _ in pairs]
    else:
        scores = [judge.yes_no(q, p) for q, p, _ in pairs]
    return scores, (time.perf_counter() - started) / max(len(pairs), 1)


def auc(scores: list[float], labels: list[bool]) -> float | None:
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def compare(settings: Settings, server_url: str, limit: int | None = None, with_whole: bool = False) -> dict:
    local = LlamaJudge(settings)
    remote = ServerJudge(settings.replace(judge_base_url=server_url, judge_model="bundled"))
    report = {}
    for kind, pairs in labelled_pairs(settings, limit).items():
        labels = [label for *_, label in pairs]
        here, here_s = score(local, kind, pairs)
        there, there_s = score(remote, kind, pairs)
        whole = score(WholePromptJudge(settings), kind, pairs)[0] if with_whole else here
        bar = settings.judge_threshold if kind == "answers" else ENTAILED
        diffs = [abs(a - b) for a, b in zip(here, there)]
        report[kind] = {
            "pairs": len(pairs), "max_diff": round(max(diffs), 4), "mean_diff": round(sum(diffs) / len(diffs), 4),
            "verdicts_agree": sum((a >= bar) == (b >= bar) for a, b in zip(here, there)), "bar": bar,
            "auc_in_process": auc(here, labels), "auc_server": auc(there, labels),
            "seconds_per_verdict_in_process": round(here_s, 3), "seconds_per_verdict_server": round(there_s, 3),
            "max_diff_in_process_whole": round(max(abs(a - c) for a, c in zip(here, whole)), 4),
            "mean_diff_in_process_whole": round(sum(abs(a - c) for a, c in zip(here, whole)) / len(here), 4),
            "scores": [[round(a, 4), round(b, 4), round(c, 4)] for a, b, c in zip(here, there, whole)],
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="the first N pairs of each kind")
    parser.add_argument("--json", action="store_true", help="print the whole report, scores included")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    with llama_server(bundled_gguf_path(settings), context=settings.judge_context * 2) as (url, _):
        report = compare(settings, url, args.limit, with_whole=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("in-process vs server; in-process vs itself reading each prompt whole (the model's own batch noise)\n")
    print(f"{'kind':<12}{'pairs':>6}{'max diff':>10}{'mean diff':>10}{'agree':>8}{'AUC here':>10}{'AUC server':>11}"
          f"{'s/verdict here':>16}{'server':>8}{'whole: max':>12}{'mean':>8}")
    for kind, r in report.items():
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{kind:<12}{r['pairs']:>6}{r['max_diff']:>10.3f}{r['mean_diff']:>10.4f}"
              f"{r['verdicts_agree']:>5}/{r['pairs']:<2}{fmt(r['auc_in_process']):>10}{fmt(r['auc_server']):>11}"
              f"{r['seconds_per_verdict_in_process']:>16.2f}{r['seconds_per_verdict_server']:>8.2f}"
              f"{r['max_diff_in_process_whole']:>12.3f}{r['mean_diff_in_process_whole']:>8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
