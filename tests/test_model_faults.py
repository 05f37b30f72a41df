"""A model server that fails (refuses, hangs, answers 5xx, sends broken streams): bounded retries with
backoff, then a ModelUnavailable naming the setting to fix. The faults come from a real HTTP server on
loopback that misbehaves on purpose."""

import http.server
import json
import threading
import time

import pytest

from rag.errors import ModelUnavailable
from rag.models.llm import OpenAIChat

from .conftest import free_port

MESSAGES = [{"role": "user", "content": "Say hello."}]


class FaultyModelServer(http.server.BaseHTTPRequestHandler):
    """/<fault>/v1/chat/completions misbehaves as <fault> says; every request is counted."""

    calls: dict[str, int] = {}

    def do_POST(self):
        fault = self.path.strip("/").split("/")[0]
        FaultyModelServer.calls[fault] = FaultyModelServer.calls.get(fault, 0) + 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if fault == "error500":
            self._send(500, "application/json", json.dumps({"error": {"message": "boom", "type": "server_error"}}))
        elif fault == "slow":
            time.sleep(3)
            self._send(200, "application/json", "{}")
        elif fault == "garbage":
            self._send(200, "text/event-stream", "data: {this is not json\n\n")
        elif fault == "truncated":
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", "1000")  # promises more than it sends, then hangs up
            self.end_headers()
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            self.connection.close()

    def _send(self, status: int, kind: str, body: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def faulty_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FaultyModelServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def chat_at(settings, url: str, **extra) -> OpenAIChat:
    return OpenAIChat(settings.replace(backend="openai-compatible", base_url=url, model="m", model_retries=2,
                                       request_timeout=1.0, **extra))


@pytest.mark.parametrize("fault, names", [
    ("error500", "RAG_BASE_URL"), ("slow", "RAG_REQUEST_TIMEOUT"), ("garbage", "RAG_BASE_URL")])
def test_a_failing_server_is_retried_a_bounded_number_of_times(settings, faulty_server, fault, names):
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable, match=names):
        chat_at(settings, f"{faulty_server}/{fault}/v1").complete(MESSAGES)
    assert time.perf_counter() - started < 30
    if fault in ("error500", "slow"):  # retried: 1 try + RAG_MODEL_RETRIES
        assert FaultyModelServer.calls[fault] == 3


def test_a_refused_connection_names_the_setting(settings):
    with pytest.raises(ModelUnavailable, match="RAG_BASE_URL"):
        chat_at(settings, f"http://127.0.0.1:{free_port()}/v1").complete(MESSAGES)


def test_a_stream_that_breaks_off_is_an_error_or_the_text_so_far(settings, faulty_server):
    try:
        text = chat_at(settings, f"{faulty_server}/truncated/v1").complete(MESSAGES)
    except ModelUnavailable as exc:
        assert "RAG_BASE_URL" in str(exc)
    else:
        assert text == "Hel"


def test_an_assistant_on_a_failing_server_says_which_setting_to_fix(assistant, faulty_server):
    broken = assistant.derive(backend="openai-compatible", base_url=f"{faulty_server}/error500/v1", model="m",
                              model_retries=1)
    with pytest.raises(ModelUnavailable, match="RAG_BASE_URL"):
        broken.ask("Who is Alexander Sergeev?")
    assert not assistant.ask("Who is Alexander Sergeev?").abstained  # the shared assistant is unaffected
