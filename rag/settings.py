"""One settings object for the whole pipeline, read from the environment (``RAG_*``) or given directly.

Every module receives a ``Settings`` instance; nothing reads the environment on its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import paths
from .errors import SettingsError

BACKENDS = ("local", "openai", "openai-compatible")
COMPOSERS = ("auto", "extractive", "model")  # rag.answer.composers.COMPOSERS' names, and "auto"
# rag.answer.rules.RULES' names: the hand rules RAG_RULES_OFF may switch off
RULE_NAMES = ("missing_type", "type_required", "question_noise")




@dataclass(frozen=True)
class Settings:
    """Configuration as data. Field ``foo_bar`` is read from the environment variable ``RAG_FOO_BAR``."""

    # Where the documents and the index live (see rag/paths.py: beside the code in a checkout, the XDG
    # folders when installed).
    corpus_dir: Path = field(default_factory=paths.default_corpus_dir)
    index_dir: Path = field(default_factory=lambda: paths.data_home() / "index")
    collection: str = "corpus"
    # Scale-out: a Chroma server ("http://host:8000") instead of the embedded PersistentClient.
    chroma_url: str | None = None
    # Scale-out: a PostgreSQL database ("postgresql://user:password@host/db") for the lexical side (BM25, the
    # document list, sentence vectors) instead of the SQLite file in index_dir, for app processes on
    # several machines.
    lexical_url: str | None = None

    # Scale-out: the encoder on an OpenAI-compatible /v1/embeddings server (another app's `rag serve`, TEI,
    # vLLM ...) instead of in-process (rag.models.embedding_server); the model name is recorded in the index.
    embed_base_url: str | None = None
    embed_model: str | None = None  # default: the bundled encoder's name, as `rag serve` serves it
    embed_api_key: str | None = field(default=None, repr=False)

    # Chunking, in tiktoken (cl100k_base) tokens.
    chunk_tokens: int = 160
    chunk_overlap: int = 32

    # Retrieval.
    top_k: int = 6
    hybrid: bool = True
    filter_doc_ids: tuple[str, ...] = ()
    date_from: str | None = None  # YYYY-MM-DD, inclusive
    date_to: str | None = None

    # Answer generation.
    backend: str = "local"  # local | openai | openai-compatible
    model: str | None = None  # model name for openai / openai-compatible
    base_url: str | None = None  # for openai-compatible (vLLM, llama.cpp server, Ollama ...)
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    request_timeout: float = 60.0  # seconds a model server may take to answer
    model_retries: int = 2  # retries of a failed model-server request (connection, timeout, 429, 5xx), with backoff
    local_model_path: Path | None = None  # a GGUF file to use instead of the bundled one
    threads: int | None = None  # llama.cpp threads; None = one fewer than the machine's cores (at least 1)
    # The judge: a bundled instruct model deciding whether evidence answers the question (and whether a
    # quote entails a model-written sentence). ``fast`` turns it off: lexical checks only, sub-second.
    fast: bool = False
    judge_model_path: Path | None = None  # another GGUF instruct model for the judge
    # The judge on an OpenAI-compatible model server that returns logprobs (llama.cpp, vLLM; rag.models.judge_server)
    # instead of in-process: app replicas then share one model server. The eval's LLM grader uses it too.
    judge_base_url: str | None = None
    judge_model: str | None = None  # the model name to ask the judge's server for
    judge_api_key: str | None = field(default=None, repr=False)
    # P(answered) a candidate needs. Measured on 3 eval sets (130 answerable and 27 unanswerable questions):
    # 0.25 kept 4 more answers than 0.3, at one more unanswerable answered; on the 9-set pool
    # (`python -m bench.selection compare`) the threshold chosen on 8 sets was 0.225 for 8 of the 9 held out.
    judge_threshold: float = 0.25  # the bars' P(answered) (RAG_SELECTION=bars)
    # Which judged units are kept: "learned" (a model over the judge's verdict and the rank features, fitted
    # on the eval pool: rag/answer/selection.json), "bars" (the judge's hand-set thresholds,
    # rag/answer/presence.py), or the path of a selector file of the same form (fitted on labelled pairs of
    # your own, or held out).
    selection: str = "learned"
    # Units the judge reads per question, best first (~1 s each on one core). Pool, 304 questions, 2026-12-06: 4
    # answered 1 more answerable and abstained on 1 more unanswerable than 3, at p50 5.96 s vs 4.75 s; held out
    # (bench.selection compare) 2 loses 0.03 of the abstentions, 1 loses 0.13 of the answers: 3, cheapest at no loss.
    judge_candidates: int = 3
    # Text giving orders to an AI, kept out of answers (rag.answer.injection): "background" (the judge reads each
    # chunk once, kept with it: the server while idle, or Assistant.screen(); patterns until then), "judge" (also
    # each quoted piece not read yet, at answer time) or "patterns" (the phrase list only, P / R 0.50 / 0.09).
    injection_screen: str = "background"
    screen_quiet_seconds: float = 10.0  # idle time before the server screens; hand-set (> a script's gaps)
    judge_context: int = 1024  # tokens: instructions + question + one candidate
    # Verdicts the in-process judge remembers, (prompt, question, candidate) -> P: a question asked again (a retry,
    # the same follow-up in two chats) costs no judged token. 4096 (~2 MB) are the candidates of ~1,000 questions.
    # 0: none (benchmarks of the judge's cost, which must read every question afresh).
    judge_memo: int = 4096
    # Hand rules of the answer stage switched off (names of rag.answer.rules.RULES, comma-separated): what
    # `python -m eval --ablate` measures each rule's worth by.
    rules_off: tuple[str, ...] = ()
    # Who writes the answer (rag.answer.compose.COMPOSERS): "extractive" (the kept passages' own sentences,
    # verbatim), "model" (the backend's model writes from the passages; each sentence then passes the citation
    # guard), or "auto": extractive for the local backend, model for openai / openai-compatible.
    composer: str = "auto"
    # Extractive answers: a yes/no question opens with "Yes —" / "No —" and its best quote, when the judge is sure.
    direct_lead: bool = True
    # A claim only one document makes is attributed to it in the text: "According to “Title”: ...".
    attribute: bool = True

    # Input limits.
    max_question_chars: int = 2000
    # A document with more text than this is skipped, with that reason: the encoder embeds about 30
    # chunks (~21,000 characters) a second on 2 cores, so 2 million characters take ~95 s; a longer
    # "document" is usually a log or a data dump, and a user who wants it indexed raises the limit.
    max_document_chars: int = 2_000_000
    # A document whose reading takes longer than this is skipped with that verdict (read in a worker process,
    # rag.index.reader_process). Reading the largest allowed document (2 million characters of text or HTML) takes
    # under 5 s on 2 cores; 30 s leaves room for a busy machine and slow PDFs. Hand-set.
    max_read_seconds: float = 30.0
    # An ingest lets questions go first: before each slice of encoding it waits while a question is being
    # answered, at most this many seconds (about two judged answers on a busy 2-core box), so steady
    # traffic slows an ingest but never stops it. 0: the ingest never waits. Hand-set.
    ingest_yield_seconds: float = 30.0

    # The app's OpenAI-compatible HTTP API (/v1): a bearer token clients must send, if set.
    server_api_key: str | None = field(default=None, repr=False)
    # /v1 questions answered at once; past it a caller gets a 429 with Retry-After at once. One judge
    # answers one question at a time (3-6 s on 2 cores), so the last of N in flight waits ~N answers. 4: 16
    # chats at once had p95 2.99x one user's p95 (8: 5.74x; issue 26's bound is 4x), busy replies in
    # 0.04 s (python -m bench.concurrent, bundled corpus, judge on, 2 cores, 2026-12-06).
    max_concurrent_questions: int = 4
    # Questions in flight from one client address (web UI and /v1 without the server key together);
    # the machine itself is not counted (rag.serve.admission). 1: a visitor asks one question at a time, and a
    # keyed /v1 caller then shares the judge with at most one question per flooding address. 0: no bound.
    max_questions_per_client: int = 1
    # Reverse proxies whose X-Forwarded-For names the client (addresses or networks, "*" for any): the
    # per-client bound then counts the visitor behind the proxy, not the proxy. Uvicorn's own default.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Sharing the app: the key that allows changes others see (uploads, removals, rebuilds, the model
    # server, running the eval). Defaults to server_api_key. With neither set, changes are allowed only
    # when the app listens on loopback.
    admin_key: str | None = field(default=None, repr=False)
    # Largest file the app accepts as an upload, in MB.
    max_upload_mb: float = 10.0
    # May a model-server URL typed into the web UI point at a loopback or private address
    # (a llama.cpp server or Ollama on this machine or LAN)? Turn off when strangers hold the admin key.
    allow_private_model_urls: bool = True

    # Where derived files (the assembled GGUF) are cached.
    cache_dir: Path = field(default_factory=paths.cache_home)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(f"RAG_BACKEND must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.top_k < 1 or self.top_k > 50:
            raise SettingsError(f"RAG_TOP_K must be between 1 and 50, not {self.top_k}")
        if not 0.0 <= self.temperature <= 2.0:
            raise SettingsError(f"RAG_TEMPERATURE must be between 0 and 2, not {self.temperature}")
        if self.composer not in COMPOSERS:
            raise SettingsError(f"RAG_COMPOSER must be one of {', '.join(COMPOSERS)}, not {self.composer!r}")
        if self.selection not in ("learned", "bars"):
            _check_selector_file(self.selection)
        if self.injection_screen not in ("patterns", "background", "judge"):
            raise SettingsError("RAG_INJECTION_SCREEN must be patterns, background or judge, not "
                                f"{self.injection_screen!r}")
        if self.screen_quiet_seconds < 0:
            raise SettingsError(f"RAG_SCREEN_QUIET_SECONDS must be 0 or more, not {self.screen_quiet_seconds}")
        if not 1 <= self.judge_candidates <= 10:
            raise SettingsError(f"RAG_JUDGE_CANDIDATES must be between 1 and 10, not {self.judge_candidates}")
        if not 0.0 < self.judge_threshold < 1.0:
            raise SettingsError(f"RAG_JUDGE_THRESHOLD must be between 0 and 1, not {self.judge_threshold}")
        unknown_rules = sorted(set(self.rules_off) - set(RULE_NAMES))
        if unknown_rules:
            raise SettingsError(f"RAG_RULES_OFF names no rule {', '.join(unknown_rules)}; the rules: "
                                f"{', '.join(RULE_NAMES)}")
        if self.judge_memo < 0:
            raise SettingsError(f"RAG_JUDGE_MEMO must be 0 or more, not {self.judge_memo}")
        if not 0 <= self.model_retries <= 10:
            raise SettingsError(f"RAG_MODEL_RETRIES must be between 0 and 10, not {self.model_retries}")
        if self.request_timeout <= 0:
            raise SettingsError(f"RAG_REQUEST_TIMEOUT must be positive, not {self.request_timeout}")
        if self.max_concurrent_questions < 1:
            raise SettingsError(f"RAG_MAX_CONCURRENT_QUESTIONS must be at least 1, not {self.max_concurrent_questions}")
        if self.max_questions_per_client < 0:
            raise SettingsError(f"RAG_MAX_QUESTIONS_PER_CLIENT must be 0 or more, not {self.max_questions_per_client}")
        if self.ingest_yield_seconds < 0:
            raise SettingsError(f"RAG_INGEST_YIELD_SECONDS must be 0 or more, not {self.ingest_yield_seconds}")
        if self.max_document_chars < 1:
            raise SettingsError(f"RAG_MAX_DOCUMENT_CHARS must be positive, not {self.max_document_chars}")
        if self.max_read_seconds <= 0:
            raise SettingsError(f"RAG_MAX_READ_SECONDS must be positive, not {self.max_read_seconds}")
        if self.max_upload_mb <= 0:
            raise SettingsError(f"RAG_MAX_UPLOAD_MB must be positive, not {self.max_upload_mb}")
        if self.threads is not None and self.threads < 1:
            raise SettingsError(f"RAG_THREADS must be at least 1, not {self.threads}")
        for proxy in self.trusted_proxies:
            if proxy != "*" and not _is_network(proxy):
                raise SettingsError(f"RAG_TRUSTED_PROXIES: {proxy!r} is not an address or network (or *)")
        if self.chunk_overlap >= self.chunk_tokens:
            raise SettingsError("RAG_CHUNK_OVERLAP must be smaller than RAG_CHUNK_TOKENS")
        if self.backend == "openai-compatible" and not self.base_url:
            raise SettingsError("RAG_BACKEND=openai-compatible needs RAG_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not _is_iso_date(value):
                raise SettingsError(f"RAG_{name.upper()} must be a date YYYY-MM-DD, not {value!r}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then ``RAG_*`` environment variables (and OPENAI_API_KEY / OPENAI_BASE_URL), then overrides."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("RAG_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        if "api_key" not in values and env.get("OPENAI_API_KEY"):
            values["api_key"] = env["OPENAI_API_KEY"]
        if "base_url" not in values and env.get("OPENAI_BASE_URL"):
            values["base_url"] = env["OPENAI_BASE_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**_coerce(values))

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed (validated like a new object)."""
        return dataclasses.replace(self, **_coerce(changes))


def _is_network(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_network(value, strict=False)
        return True
    except ValueError:
        return False


def _is_iso_date(value: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
        return True
    except ValueError:
        return False


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _parse(f: dataclasses.Field, raw: str) -> Any:
    kind = str(f.type)
    try:
        if "bool" in kind:
            value = raw.strip().lower()
            if value not in _TRUE + _FALSE:  # a typo ("ture") must not silently turn a switch off
                raise ValueError(value)
            return value in _TRUE
        if "tuple" in kind:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if "int" in kind and "Path" not in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
    except ValueError:
        expected = "true or false" if "bool" in kind else f"a valid {kind}"
        raise SettingsError(f"RAG_{f.name.upper()}={raw!r} is not {expected}") from None
    return raw


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("corpus_dir", "index_dir", "cache_dir", "local_model_path", "judge_model_path"):
        if isinstance(out.get(key), str):
            out[key] = Path(out[key]).expanduser()
    for key in ("filter_doc_ids", "rules_off"):
        if isinstance(out.get(key), (list, str)):
            ids = out[key]
            out[key] = tuple([ids] if isinstance(ids, str) else ids)
    return out


def _check_selector_file(value: str) -> None:
    """RAG_SELECTION names a selector file: it must hold one (rag.answer.selection reads it)."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise SettingsError(f"RAG_SELECTION must be learned, bars or a selector file (.json), not {value!r}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ok = all(isinstance(data.get(k), list) for k in ("features", "coef", "mean", "scale")) and isinstance(
            data.get("threshold"), (int, float)) and len(set(map(len, (data["features"], data["coef"])))) == 1
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise SettingsError(f"RAG_SELECTION={value}: not a selector file (features, coef, mean, scale, threshold; "
                            "python -m bench.selection fit writes one)")
