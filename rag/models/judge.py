"""Learned judgement, offline: a bundled instruct model answers yes/no questions about evidence.

Verdicts are read from the model's next-token logits, not from generated text, so each costs one forward pass:
the prompt up to the candidate is evaluated once and kept in llama.cpp's KV cache (across calls too, as long as
they open alike), and each candidate costs only its own tokens and the prompt's tail.

Its judgements, each a prompt file in ``prompts/``:

* ``answers(question, candidates)``: does this evidence state the answer to this exact question?
  (``judge_answer.txt``) The model is asked to *answer* from the text or reply "unknown"; the score is P(the
  reply's first token is one of the text's own tokens, or "yes"): AUC 0.91 on 150 labelled (question, sentence)
  pairs against 0.86-0.87 for "does the text answer? yes/no"; only replies grounded in the text count, which
  keeps the model's own knowledge out (SQuAD unanswerables abstained 13 -> 16 of 18).
* ``entails(premise, claims)``: does the quote entail the sentence a model wrote from it? (``judge_entail.txt``)
* ``yes_no(question, passage)``: which way does the passage answer a yes/no question? (``judge_yes_no.txt``)
* ``instructions(passages)``: does it give orders to an AI? (``judge_injection.txt``; a probe: ``rag.models.probe``)

``load_judge`` gives this in-process judge, or ``rag.models.judge_server.ServerJudge`` (the same prompts and
readings asked of an OpenAI-compatible model server) when ``RAG_JUDGE_BASE_URL`` is set.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from ..errors import ModelUnavailable
from ..prompts import Prompts
from ..settings import Settings
from .bundled import QWEN_1_5B, bundled_model_path, llama_batch_threads, llama_class, llama_threads
from .probe import hidden_state, load_probe, reading_tag

_SPLIT = "\x00CANDIDATE\x00"  # marks where the candidate goes in the rendered prompt
_YES = ("Yes", "yes", "YES", " Yes", " yes")
_NO = ("No", "no", "NO", " No", " no")
_UNKNOWN = ("unknown", "Unknown", "UNKNOWN", '"unknown', " unknown")
ENTAILED = 0.5  # P(yes) at which the judge says a quote entails a sentence
JUDGE_FIELDS = ("judge_model_path", "judge_base_url", "judge_model", "judge_api_key")  # settings naming the judge


class Verdicts(list):
    """A judge's scores, one per candidate, with ``tokens``: the prompt tokens evaluated for them (0: unknown)."""

    def __init__(self, scores=(), tokens: int = 0):
        super().__init__(scores)
        self.tokens = tokens


class Judge(Protocol):
    """What the pipeline asks of a judge. Scores are P(yes), from 0 to 1."""

    def answers(self, question: str, candidates: list[str]) -> list[float]: ...

    def entails(self, premise: str, claims: list[str]) -> list[float]: ...

    def yes_no(self, question: str, passage: str) -> float: ...

    def referents(self, conversation: str, question: str, pronoun: str, options: list[str]) -> list[float]: ...

    def instructions(self, passages: list[str]) -> list[float]: ...
    def instruction_reading(self) -> str: ...  # the tag instructions' verdicts are stored under


class LlamaJudge:
    """A GGUF instruct model (default: the bundled Qwen2.5-Coder-1.5B) as a yes/no judge."""

    def __init__(self, settings: Settings, prompts: Prompts | None = None):
        self.settings = settings
        self.prompts = prompts or Prompts()
        self.path = settings.judge_model_path or bundled_model_path(QWEN_1_5B, settings.cache_dir)
        if not Path(self.path).is_file():
            raise ModelUnavailable(f"RAG_JUDGE_MODEL_PATH points to no file: {self.path}")
        self._llm = None
        self._yes: list[int] = []
        self._no: list[int] = []
        self._unknown: list[int] = []
        self._lock = threading.Lock()  # one llama.cpp context serves one question at a time
        self._memo: OrderedDict[tuple, float] = OrderedDict()  # guarded by _lock
        self._reading: str | None = None  # instruction_reading(), once

    def _model(self):
        if self._llm is None:
            self._llm = llama_class()(model_path=str(self.path), n_ctx=self.settings.judge_context, n_batch=512,
                                      n_threads=llama_threads(self.settings),
                                      n_threads_batch=llama_batch_threads(self.settings), verbose=False, seed=0)
            self._yes = self._first_tokens(_YES)
            self._no = self._first_tokens(_NO)
            self._unknown = self._first_tokens(_UNKNOWN)
        return self._llm

    def close(self) -> None:  # frees the model's memory (after the question being judged); the next loads it again
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self._memo.clear()

    def _first_tokens(self, words: tuple[str, ...]) -> list[int]:
        return sorted({self._llm.tokenize(w.encode(), add_bos=False)[0] for w in words})

    def answers(self, question: str, candidates: list[str]) -> Verdicts:
        return self._score("judge_answer", {"question": question}, candidates, self._p_answered_from)

    def entails(self, premise: str, claims: list[str]) -> list[float]:
        return self._score("judge_entail", {"premise": premise}, claims, self._p_yes)

    def yes_no(self, question: str, passage: str) -> float:
        """P(the passage answers the yes/no question with yes)."""
        return self._score("judge_yes_no", {"question": question}, [passage], self._p_yes)[0]

    def instructions(self, passages: list[str]) -> list[float]:
        """P(the passage gives an order to an AI that reads it), in any language: the learned probe over the
        judge's hidden state (``rag.models.probe``) when it fits this model and prompt, else its calibrated P("yes")."""
        probe = load_probe()
        if probe is not None and probe.fits(self.path, self.prompts["judge_injection"]):
            return self._score("judge_injection", {}, passages, lambda state, _: probe.p(state), hidden=True)
        yes = self.instruction_yes(passages)
        return [probe.p_from_yes(p) for p in yes] if probe is not None else yes

    def instruction_reading(self) -> str:  # names ``instructions``' reading (stored verdicts are reused under it); once
        if self._reading is None:
            probe, prompt = load_probe(), self.prompts["judge_injection"]
            self._reading = reading_tag(str(self.path), prompt, probe, bool(probe and probe.fits(self.path, prompt)))
        return self._reading

    def instruction_states(self, passages: list[str]) -> list:  # the hidden state at the reply (what the probe reads)
        return self._score("judge_injection", {}, passages, lambda state, _: state, hidden=True)

    def instruction_yes(self, passages: list[str]) -> list[float]:  # the judge's own P("yes"), uncalibrated
        return self._score("judge_injection", {}, passages, self._p_yes)

    def referents(self, conversation: str, question: str, pronoun: str, options: list[str]) -> list[float]:
        """P(``pronoun`` in the conversation's last ``question`` refers to each of the ``options``), one
        reading of the reply's first token over the options' numbers."""
        if not options:
            return []
        numbered, count = numbered_options(options)
        fields = {"conversation": conversation, "question": question, "pronoun": pronoun}
        return list(self._score("referent", fields, [numbered], lambda logits, _: self._p_option(logits, count))[0])

    def _p_option(self, logits, count: int) -> tuple[float, ...]:
        """P(each of the first ``count`` option numbers), among the numbers."""
        values = [float(logits[self._llm.tokenize(str(i).encode(), add_bos=False)[0]]) for i in range(1, count + 1)]
        total = _logsumexp(values)
        return tuple(math.exp(v - total) for v in values)

    def _score(self, prompt: str, fields: dict[str, str], candidates: list[str], read,
               hidden: bool = False) -> Verdicts:
        """Each candidate's verdict: from the memo, else evaluated (``hidden``: ``read`` gets the hidden state)."""
        if not candidates:
            return Verdicts()
        head = (prompt, tuple(sorted(fields.items())), hidden, read.__qualname__)
        with self._lock:
            todo = [c for c in dict.fromkeys(candidates) if (head, c) not in self._memo]
            fresh = self._evaluate(prompt, fields, todo, read, hidden) if todo else Verdicts()
            for candidate, score in zip(todo, fresh):
                self._memo[(head, candidate)] = score
            scores = Verdicts([self._memo[(head, c)] for c in candidates], tokens=fresh.tokens)
            for candidate in candidates:
                self._memo.move_to_end((head, candidate))
            while len(self._memo) > self.settings.judge_memo:  # RAG_JUDGE_MEMO verdicts remembered
                self._memo.popitem(last=False)
            return scores

    def _evaluate(self, prompt: str, fields: dict[str, str], candidates: list[str], read,
                  hidden: bool = False) -> Verdicts:
        system, user = self.prompts.chat(prompt, **fields, candidate=_SPLIT)
        llm = self._model()
        head, tail = self._render(system, user).split(_SPLIT)
        # The prompt is read as one text, tokenized whole: split at the candidate, "Text: " + "The" gave
        # the tokens " " "The" where the model reads " The", and other verdicts (0.63 vs 0.52 on a
        # claim) than a model server given the same chat. The text before the candidate's first word
        # is the same for every candidate, and tokenizes alike alone and in the whole.
        prefix = llm.tokenize(head.rstrip(" ").encode(), add_bos=False, special=True)
        # The last call's prompt head is kept in the KV cache when this one opens with all of it; else the
        # head is evaluated afresh, whole (a head evaluated in two parts gives slightly other numbers, and
        # verdicts near a bar flipped: 2 of 26 answers on a movie-plot set).
        scores = Verdicts()
        if _cached_tokens(llm, prefix) < len(prefix):
            llm.reset()
            llm.eval(prefix)
            scores.tokens += len(prefix)
        for candidate in candidates:
            whole = self._prompt_tokens(head, self._fit(candidate, len(prefix), tail), tail)
            if whole[: len(prefix)] != prefix:  # a head that tokenizes otherwise in the whole: read it all
                llm.reset()
                prefix = []
            else:
                llm.n_tokens = len(prefix)  # drop the previous candidate from the KV cache
            rest = whole[len(prefix):]
            if hidden:  # the last token alone with embeddings on (see hidden_state)
                if rest[:-1]:
                    llm.eval(rest[:-1])
                scores.append(read(hidden_state(llm, rest[-1:]), candidate))
            else:
                llm.eval(rest)
                scores.append(read(self._logits(llm), candidate))
            scores.tokens += len(rest)
        return scores

    def _prompt_tokens(self, head: str, candidate: str, tail: str) -> list[int]:
        return self._llm.tokenize((head + candidate + tail).encode(), add_bos=False, special=True)

    def _fit(self, candidate: str, head_tokens: int, tail: str) -> str:
        """The candidate, cut to what fits the judge's context beside the prompt (an over-long one: its start)."""
        llm = self._llm
        room = self.settings.judge_context - head_tokens - len(llm.tokenize(tail.encode(), add_bos=False,
                                                                            special=True)) - 8
        body = llm.tokenize(candidate.encode(), add_bos=False, special=False)
        if len(body) <= room:
            return candidate
        return llm.detokenize(body[: max(room, 1)]).decode("utf-8", errors="ignore")

    def _render(self, system: str, user: str) -> str:
        """The chat in the model's own template (from the GGUF), ready for the answer's first token."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelUnavailable(f"{Path(self.path).name} has no chat template; set RAG_JUDGE_MODEL_PATH "
                                   "to an instruct model's GGUF")
        formatter = Jinja2ChatFormatter(template, eos_token=llm.detokenize([llm.token_eos()]).decode(errors="ignore"),
                                        bos_token=llm.detokenize([llm.token_bos()]).decode(errors="ignore"))
        return formatter(messages=[{"role": "system", "content": system},
                                   {"role": "user", "content": user}]).prompt

    @staticmethod
    def _logits(llm):
        import llama_cpp
        import numpy as np

        row = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(row, shape=(llm.n_vocab(),)).astype(np.float64)

    def _p_yes(self, logits, candidate: str = "") -> float:
        """P(yes) against P(no), the two answers the prompt allows."""
        yes = _logsumexp([float(logits[t]) for t in self._yes])
        no = _logsumexp([float(logits[t]) for t in self._no])
        return 1.0 / (1.0 + math.exp(no - yes))

    def _p_answered_from(self, logits, candidate: str) -> float:
        """P(the reply starts with a token of the text itself), over the whole vocabulary. Measured: the
        model answers "What is the capital of France?" with "Paris" from its own knowledge when the text
        merely mentions France, so a reply that starts outside the text does not count as answered."""
        import numpy as np

        probs = np.exp(logits - logits.max())
        # "yes" counts: the prompt allows it, and the model often replies "yes" when the text answers.
        grounded = sorted((self._text_tokens(candidate) | set(self._yes)) - set(self._unknown))
        return float(probs[grounded].sum() / probs.sum())

    def _text_tokens(self, text: str) -> set[int]:
        """Every token the reply could start with when it quotes ``text``: each word's tokens as it
        opens a reply, after a space, and capitalised."""
        llm = self._llm
        tokens: set[int] = set()
        for word in set(re.findall(r"\w+", text)):
            for form in (word, " " + word, word[:1].upper() + word[1:]):
                tokens.update(llm.tokenize(form.encode(), add_bos=False, special=False))
        return tokens


def load_judge(settings: Settings) -> Judge:
    """The judge the settings name: on a model server (``RAG_JUDGE_BASE_URL``), else the bundled model
    (or ``RAG_JUDGE_MODEL_PATH``) in-process."""
    if settings.judge_base_url:
        from .judge_server import ServerJudge

        return ServerJudge(settings)
    return LlamaJudge(settings)


MAX_OPTIONS = 9  # options are numbered with one digit each: one token, read from one reply


def numbered_options(options: list[str]) -> tuple[str, int]:
    """The options as the referent prompt lists them ("1. my widow"), at most ``MAX_OPTIONS``, and how many."""
    options = options[:MAX_OPTIONS]
    return "\n".join(f"{i}. {o}" for i, o in enumerate(options, 1)), len(options)


def _cached_tokens(llm, prefix: list[int]) -> int:
    """How many leading tokens of ``prefix`` the context already holds from the last evaluation: a call
    that opens as the last one did (the same prompt, the same question) evaluates only the rest, so
    judging a question's candidates one call each costs what one call for all of them did."""
    import numpy as np

    held = llm.input_ids[: min(llm.n_tokens, len(prefix))]
    differ = np.flatnonzero(held != np.asarray(prefix[: len(held)], dtype=held.dtype))
    return int(differ[0]) if differ.size else len(held)


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))
