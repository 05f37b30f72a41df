"""Every error the library raises on purpose, and how each front end shows it.

Each class says what the user must fix; its message names the setting or input. The CLI maps them to
exit codes, the HTTP API to status codes and OpenAI-style error types, the web UI to a warning line:
all through ``exit_code`` / ``http_error`` below, so a new error is mapped once.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: a problem the user can fix; ``str(exc)`` says how."""


class SettingsError(RagError, ValueError):
    """A setting has a value the pipeline cannot use; the message names the setting."""


class QuestionError(RagError, ValueError):
    """The question cannot be answered as given (empty, or not text)."""


class ModelUnavailable(RagError, RuntimeError):
    """The configured model (answer model, judge or model server) cannot be used; names the setting."""


class StoreUnavailable(RagError, RuntimeError):
    """A server holding the index (Chroma, or PostgreSQL for the lexical side) cannot be reached."""


class IndexMismatch(RagError, RuntimeError):
    """The index on disk was built with another embedding model (or schema)."""


class NotAllowed(RagError, PermissionError):
    """A change others would see, asked for without the admin key (RAG_ADMIN_KEY / RAG_SERVER_API_KEY)."""


def model_server_error(exc: Exception, role: str, url: str, url_setting: str, model: str, model_setting: str,
                       timeout: float) -> ModelUnavailable:
    """What an ``openai`` client error from a model server means for the user, naming the settings to
    check: ``role`` is whose server it is ("the judge's"), ``url`` where it was asked."""
    import openai

    where = f"{role} model server at {url}"
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable(f"{where} did not answer within {timeout:g} s; check {url_setting} or raise "
                                "RAG_REQUEST_TIMEOUT")
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(f"cannot reach {where} ({exc.__class__.__name__}); check {url_setting}, or unset "
                                "it to run the bundled model in-process")
    if isinstance(exc, openai.NotFoundError):
        return ModelUnavailable(f"model {model!r} not found at {where}: check {model_setting}")
    if isinstance(exc, openai.APIStatusError):
        return ModelUnavailable(f"{where} answered {exc.status_code}: {exc.message}")
    return ModelUnavailable(f"{where} sent a malformed reply ({exc})")


# (exit code, HTTP status, OpenAI error type) per kind of error: bad input vs an unavailable service.
_BAD_INPUT = (2, 400, "invalid_request_error")
_UNAVAILABLE = (1, 503, "service_unavailable")
_MAPPING: dict[type[RagError], tuple[int, int, str]] = {
    SettingsError: _BAD_INPUT,
    QuestionError: _BAD_INPUT,
    ModelUnavailable: _UNAVAILABLE,
    StoreUnavailable: _UNAVAILABLE,
    IndexMismatch: (1, 409, "index_mismatch"),
    NotAllowed: (2, 403, "permission_error"),
}


def _mapped(exc: BaseException) -> tuple[int, int, str]:
    for kind, mapped in _MAPPING.items():
        if isinstance(exc, kind):
            return mapped
    if isinstance(exc, FileNotFoundError):
        return _BAD_INPUT
    return (1, 500, "server_error")


def exit_code(exc: BaseException) -> int:
    """The CLI's exit status: 2 bad input or setting, 1 a service or index problem."""
    return _mapped(exc)[0]


def http_error(exc: BaseException) -> tuple[int, str]:
    """(HTTP status, OpenAI error ``type``) for the /v1 API."""
    _, status, kind = _mapped(exc)
    return status, kind
