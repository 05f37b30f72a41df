"""Answer-model backends behind one small interface, chosen by ``Settings.backend``.

* ``local``: the bundled Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, see ``rag.models.bundled``) run by
  llama-cpp-python. The local *answer* is extractive (``rag.answer.compose``); this generator serves the
  eval's baseline and anyone who sets ``RAG_LOCAL_MODEL_PATH`` to a stronger GGUF.
* ``openai``: the OpenAI API (``OPENAI_API_KEY``, ``RAG_MODEL``).
* ``openai-compatible``: any server that speaks the OpenAI chat API (vLLM, llama.cpp server,
  Ollama) at ``RAG_BASE_URL``.

Both remote backends use the official ``openai`` client.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Iterator, Protocol

from ..errors import ModelUnavailable
from ..settings import Settings
from .bundled import QWEN_1_5B, bundled_model_path, llama_batch_threads, llama_class, llama_threads

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]


class Generator(Protocol):
    name: str

    def complete(self, messages: Messages, max_tokens: int = 256) -> str: ...

    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]: ...


def bundled_gguf_path(settings: Settings) -> Path:
    """The bundled instruct model as one verified GGUF file in ``settings.cache_dir``."""
    return bundled_model_path(QWEN_1_5B, settings.cache_dir)


class LocalLlama:
    """A GGUF chat model in-process with llama-cpp-python."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = settings.local_model_path or bundled_gguf_path(settings)
        if not Path(self.path).is_file():
            raise ModelUnavailable(f"RAG_LOCAL_MODEL_PATH points to no file: {self.path}")
        self.name = Path(self.path).stem
        self._llm = None
        self._lock = threading.Lock()  # one llama.cpp context serves one request at a time

    def _model(self):
        if self._llm is None:
            self._llm = llama_class()(
                model_path=str(self.path), n_ctx=4096, n_threads=llama_threads(self.settings),
                n_threads_batch=llama_batch_threads(self.settings), verbose=False, seed=0,
            )
        return self._llm

    def complete(self, messages: Messages, max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]:
        with self._lock:
            llm = self._model()
            for part in llm.create_chat_completion(
                messages, max_tokens=max_tokens, temperature=self.settings.temperature, stream=True
            ):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

    def close(self) -> None:
        """Free the model's memory (after the answer being written, if any); a later question loads it again."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


class OpenAIChat:
    """OpenAI or any OpenAI-compatible server, through the official client."""

    def __init__(self, settings: Settings):
        from openai import OpenAI

        self.settings = settings
        if settings.backend == "openai" and not settings.api_key:
            raise ModelUnavailable("RAG_BACKEND=openai needs OPENAI_API_KEY (or RAG_API_KEY)")
        if not settings.model:
            raise ModelUnavailable(f"RAG_BACKEND={settings.backend} needs RAG_MODEL (the model name to ask for)")
        self.name = settings.model
        self.client = OpenAI(
            api_key=settings.api_key or "not-needed",
            base_url=settings.base_url if settings.backend == "openai-compatible" else (settings.base_url or None),
            timeout=settings.request_timeout,
            max_retries=settings.model_retries,  # the client backs off exponentially between tries
        )

    def close(self) -> None:
        self.client.close()

    def _where(self) -> str:
        return self.settings.base_url or "the OpenAI API"

    def complete(self, messages: Messages, max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Messages, max_tokens: int = 256) -> Iterator[str]:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.settings.model, messages=messages, max_tokens=max_tokens,
                temperature=self.settings.temperature, stream=True,
            )
            for part in response:
                if part.choices and part.choices[0].delta.content:
                    yield part.choices[0].delta.content
        except openai.APITimeoutError as exc:
            raise ModelUnavailable(
                f"the model server at {self._where()} did not answer within {self.settings.request_timeout:g} s "
                f"({self.settings.model_retries + 1} tries); check RAG_BASE_URL or raise RAG_REQUEST_TIMEOUT"
            ) from exc
        except openai.APIConnectionError as exc:
            raise ModelUnavailable(
                f"cannot reach the model server at {self._where()} ({exc.__class__.__name__}, "
                f"{self.settings.model_retries + 1} tries); check RAG_BASE_URL, or set RAG_BACKEND=local for the "
                "bundled model"
            ) from exc
        except openai.AuthenticationError as exc:
            raise ModelUnavailable(f"the model server refused the API key: check OPENAI_API_KEY / RAG_API_KEY ({exc})") from exc
        except openai.NotFoundError as exc:
            raise ModelUnavailable(f"model {self.settings.model!r} not found at {self._where()}: check RAG_MODEL") from exc
        except openai.APIStatusError as exc:
            raise ModelUnavailable(
                f"the model server at {self._where()} answered {exc.status_code} "
                f"({self.settings.model_retries + 1} tries): {exc.message}; check RAG_BASE_URL") from exc
        except (openai.APIError, ValueError) as exc:  # a stream that breaks off or is not JSON
            raise ModelUnavailable(
                f"the model server at {self._where()} sent a malformed or broken reply ({exc}); "
                "check that RAG_BASE_URL is an OpenAI-compatible /v1 endpoint") from exc


def load_generator(settings: Settings) -> Generator:
    if settings.backend == "local":
        return LocalLlama(settings)
    return OpenAIChat(settings)

