"""An OpenAI-compatible HTTP API over the assistant: ``POST /v1/chat/completions`` (plain and streaming),
``POST /v1/embeddings`` (the assistant's encoder, for app replicas that share it) and ``GET /v1/models``,
so the official ``openai`` client and chat front ends can use it.

The last user message is the question and the messages before it are the history. The answer text
carries the markers ``[n]``; the citations travel in an extra top-level field, ``citations`` (a list of
``{"marker", "doc_id", "title", "date", "quote", "score", "file", "page", "section"}``: ``page`` for
paged documents (PDF), ``section`` the heading over the quote where the document has headings), next to
``abstained``. In a stream they
come with the final chunk. ``RAG_SERVER_API_KEY`` turns on bearer-token auth.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..answer.conversation import message_text
from ..assistant import Assistant
from ..errors import RagError, http_error
from .admission import PerClient

MODEL_ID = "rag-assistant"
RETRY_AFTER_S = 5  # what a refused caller is told to wait: about one answer's time with the judge on 2 cores


class Message(BaseModel):
    role: str
    content: str | list | None = None


class ChatRequest(BaseModel):
    model: str | None = None
    messages: list[Message]
    stream: bool = False


class EmbeddingRequest(BaseModel):
    input: str | list[str]
    model: str | None = None
    encoding_format: str = "float"  # or "base64" (little-endian float32), which the openai client asks for


MAX_EMBED_INPUTS = 2048  # texts per /v1/embeddings request, as OpenAI allows
MAX_EMBED_CHARS = 1_000_000  # characters per request: the encoder reads ~21,000 a second on 2 cores


def _error(status: int, kind: str, message: str, param: str | None = None, code: str | None = None,
           headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}},
                        status_code=status, headers=headers)


def add_openai_api(server: FastAPI, assistant: Assistant, clients: PerClient | None = None) -> None:
    """Mount the /v1 routes on ``server``, with every error under /v1 in OpenAI's format
    (``{"error": {"message", "type", "param", "code"}}``), as the ``openai`` client expects. ``clients``:
    the per-address bound shared with the web UI (default: one of its own)."""
    server.include_router(openai_router(assistant, clients))
    kinds = {401: ("invalid_request_error", "invalid_api_key"), 404: ("invalid_request_error", "not_found"),
             405: ("invalid_request_error", "method_not_allowed")}
    fallback_http = server.exception_handlers[StarletteHTTPException]
    fallback_validation = server.exception_handlers[RequestValidationError]

    @server.exception_handler(StarletteHTTPException)
    async def http_exception(request: Request, exc: StarletteHTTPException):
        if not request.url.path.startswith("/v1"):
            return await fallback_http(request, exc)
        kind, code = kinds.get(exc.status_code, ("invalid_request_error", None))
        return _error(exc.status_code, kind, str(exc.detail), code=code, headers=exc.headers)

    @server.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError):
        if not request.url.path.startswith("/v1"):
            return await fallback_validation(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"invalid request body: {where or 'body'}: {first.get('msg', 'not valid')}"
        return _error(400, "invalid_request_error", message, param=where or None)


def openai_router(assistant: Assistant, clients: PerClient | None = None) -> APIRouter:
    """The /v1 routes for one assistant."""
    token = assistant.settings.server_api_key
    clients = clients or PerClient(assistant.settings.max_questions_per_client)

    def authorize(authorization: str | None = Header(default=None)) -> None:
        if token and not (authorization and secrets.compare_digest(authorization.encode(),
                                                                   f"Bearer {token}".encode())):
            raise HTTPException(401, detail="missing or wrong bearer token (RAG_SERVER_API_KEY)",
                                headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])
    # Questions answered at once; past the bound a caller gets a 429 at once instead of an unbounded wait.
    slots = threading.BoundedSemaphore(assistant.settings.max_concurrent_questions)

    def busy() -> JSONResponse:
        return _error(429, "rate_limit_exceeded",
                      f"busy: {assistant.settings.max_concurrent_questions} questions are being answered; retry "
                      f"in {RETRY_AFTER_S} s (RAG_MAX_CONCURRENT_QUESTIONS)", code="rate_limit_exceeded",
                      headers={"Retry-After": str(RETRY_AFTER_S)})

    def admitted(http: Request) -> tuple[Callable[[], None], JSONResponse | None]:
        """(a release to call when done, None), or (nothing, the 429 to send at once): the caller's address
        past its share, or every slot taken. A caller with the server's key is trusted; without a key,
        one address gets its share only."""
        client = clients.admit(None if token else (http.client.host if http.client else None))
        if client is None:
            return _no_release, _error(429, "rate_limit_exceeded", clients.busy_message(), code="rate_limit_exceeded",
                                       headers={"Retry-After": str(RETRY_AFTER_S)})
        if not slots.acquire(blocking=False):
            client()
            return _no_release, busy()

        def release() -> None:
            slots.release()
            client()

        return release, None

    @router.get("/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "rag"}
                                           for name in (MODEL_ID, assistant.embedder.model_name)]}

    @router.post("/embeddings")
    def embeddings(request: EmbeddingRequest, http: Request):
        """The assistant's encoder for other processes (RAG_EMBED_BASE_URL): app replicas share one."""
        texts = [request.input] if isinstance(request.input, str) else request.input
        if not texts or len(texts) > MAX_EMBED_INPUTS:
            return _error(400, "invalid_request_error", f"input: give 1 to {MAX_EMBED_INPUTS} texts", param="input")
        if sum(len(t) for t in texts) > MAX_EMBED_CHARS:
            return _error(400, "invalid_request_error", f"input: at most {MAX_EMBED_CHARS:,} characters per "
                          "request; send the texts in several", param="input")
        if request.model and request.model != assistant.embedder.model_name:
            return _error(404, "invalid_request_error", f"model {request.model!r} is not served here: this "
                          f"server embeds with {assistant.embedder.model_name!r}", param="model", code="model_not_found")
        if request.encoding_format not in ("float", "base64"):
            return _error(400, "invalid_request_error", "encoding_format: float or base64", param="encoding_format")
        release, refused = admitted(http)
        if refused is not None:
            return refused
        try:
            vectors = np.asarray(assistant.embed(texts), dtype="<f4")
        finally:
            release()
        encode = ((lambda v: base64.b64encode(v.tobytes()).decode()) if request.encoding_format == "base64"
                  else (lambda v: v.tolist()))
        return {"object": "list", "model": assistant.embedder.model_name,
                "data": [{"object": "embedding", "index": i, "embedding": encode(v)} for i, v in enumerate(vectors)],
                "usage": {"prompt_tokens": 0, "total_tokens": 0}}

    @router.post("/chat/completions")
    def chat(request: ChatRequest, http: Request):
        messages = [{"role": m.role, "content": message_text(m.content)} for m in request.messages if m.role != "system"]
        if not messages or messages[-1]["role"] != "user":
            return _error(400, "invalid_request_error", "the last message must be the user's question")
        question, history = messages[-1]["content"], messages[:-1]
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        release, refused = admitted(http)
        if refused is not None:
            return refused
        if request.stream:  # the slot is released when the stream ends, or its client leaves
            return StreamingResponse(_released(_stream(assistant, question, history, completion_id, created), release),
                                     media_type="text/event-stream")
        try:
            answer = assistant.ask(question, history)
        except RagError as exc:
            return _error(*http_error(exc), message=str(exc))
        finally:
            release()
        payload = answer.to_dict()
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": payload["text"]}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": payload["citations"], "abstained": payload["abstained"],
        }

    return router


def _no_release() -> None:
    pass


async def _released(stream: Iterator[str], release: Callable[[], None]) -> AsyncIterator[str]:
    """The stream's pieces, each read in a worker thread; when it ends, fails or its client leaves (Starlette
    then cancels this generator), the answer is stopped at its next stage and the slot released at once.
    Starlette's own reading of a plain iterator never closes it: a dropped client's slot was held until the
    garbage collector found the generator (4 dropped streams held every slot of 4 for 10 minutes)."""
    try:
        while True:
            piece = await run_in_threadpool(next, stream, None)
            if piece is None:
                return
            yield piece
    finally:
        release()
        stream.close()  # a client that left stops the answer at its next stage


def _stream(assistant: Assistant, question: str, history: list[dict], completion_id: str,
            created: int) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    final = None
    try:
        for piece, final in assistant.stream_pieces(question, history):
            if piece:
                yield chunk({"content": piece})
            elif final.status:  # an SSE comment (clients skip it): if the client has gone, the answer stops here
                yield f": {final.status}\n\n"
    except RagError as exc:
        yield f"data: {json.dumps({'error': {'message': str(exc), 'type': http_error(exc)[1]}})}\n\n"
        yield "data: [DONE]\n\n"
        return
    payload = final.to_dict() if final else {"citations": [], "abstained": True}
    yield chunk({}, "stop", citations=payload["citations"], abstained=payload["abstained"])
    yield "data: [DONE]\n\n"
