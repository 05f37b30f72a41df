"""The real app (Gradio UI + /v1 API) on a loopback port, driven by gradio_client, the openai client and
headless Chromium (Playwright)."""

import contextlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import httpx

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openai import OpenAI

from rag import Assistant
from rag.serve.http_api import add_openai_api

from bench import servers

from .conftest import CORPUS, ROOT, free_port, serving

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_KEY = "admin-test-key"
# A document that tries to make the chat fetch a URL (a Markdown image and link to a recorder on loopback).
LINKS_DOC = ("# Volga radio telescope\n\nThe Volga radio telescope array opens in 2031 "
             "![logo](http://127.0.0.1:{port}/leak.png) with a [press kit](http://127.0.0.1:{port}/click) "
             "at http://127.0.0.1:{port}/bare for visitors.\n")
MARKUP_DOC = ("Harbin carbon conference\n\n<script>window.__pwned = 1</script>The carbon materials conference in "
              "Harbin opens on May 12 <img src=x onerror=\"window.__pwned = 2\"> with Russian and Chinese "
              "engineers.\n")


@pytest.fixture(scope="session")
def recorder():
    """An HTTP server on loopback that records every request it gets (a document's URLs point here)."""
    seen: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, settings, recorder):
    corpus = tmp_path_factory.mktemp("app-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    (corpus / "zz_markup.txt").write_text(MARKUP_DOC, encoding="utf-8")
    (corpus / "zz_links.md").write_text(LINKS_DOC.format(port=recorder[0]), encoding="utf-8")
    port = free_port()
    index = tmp_path_factory.mktemp("app-index")
    # Indexed with `rag index --corpus`, served with RAG_CORPUS_DIR pointing elsewhere: uploads and rebuilds
    # must keep to the folder the index was built from (they once dropped all of its documents).
    subprocess.run([sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index-dir", str(index)],
                   cwd=ROOT, check=True, capture_output=True, env={**os.environ, "RAG_FAST": "true"})
    env = {**os.environ, "RAG_CORPUS_DIR": str(tmp_path_factory.mktemp("unused-corpus")), "RAG_INDEX_DIR": str(index),
           "RAG_CACHE_DIR": str(settings.cache_dir), "RAG_ADMIN_KEY": ADMIN_KEY, "RAG_MAX_UPLOAD_MB": "1"}
    with serving([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port, seconds=180, cwd=ROOT,
                 env=env) as url:
        yield url


def as_plain_text(shown: str) -> str:
    """The chat's Markdown (escaped punctuation, markers as links) back to the answer's plain text."""
    plain = re.sub(r"\[\\\[(\d+)\\\]\]\(#src-\d+-\d+\)", r"[\1]", shown)
    return html.unescape(re.sub(r"\\(.)", r"\1", plain))


def text_of(message: dict) -> str:
    content = message["content"]
    return " ".join(p.get("text", "") for p in content) if isinstance(content, list) else content


def test_gradio_client_asks_and_follows_up(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    history, sources, box = client.predict("Did China deny the freeze?", [], api_name="/respond")
    assert "did not deny" in text_of(history[-1])
    assert "](#src-1-1)" in text_of(history[-1])  # markers are links to this answer's sources
    assert "id='src-1-1'" in sources and "<mark>" in sources and box == ""

    history, sources, _ = client.predict("Who is the president of the Russian Academy of Engineering?", [],
                                         api_name="/respond")
    history, sources, _ = client.predict("What did he say about energy?", history, api_name="/respond")
    assert "energy" in text_of(history[-1]).lower()
    assert "003_8e1d12b5a911970d" in sources


def test_an_empty_question_is_a_readable_message_not_a_trace(app_url):
    from gradio_client import Client

    history, _, _ = Client(app_url, verbose=False).predict("   ", [], api_name="/respond")
    assert text_of(history[-1]).startswith("⚠️") and "empty" in text_of(history[-1])
    assert "Traceback" not in text_of(history[-1])


def test_corpus_tab_uploads_and_removes_a_document(app_url, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    note = tmp_path / "tianjin_note.md"
    note.write_text("# Tianjin robotics lab\n\nA joint China-Russia robotics lab opened in Tianjin in 2021.\n")
    table, status = client.predict([handle_file(str(note))], ADMIN_KEY, api_name="/upload")
    assert "tianjin_note" in [row[0] for row in table["data"]] and "1 added" in status
    history, _, _ = client.predict("Where did the joint robotics lab open?", [], api_name="/respond")
    assert "Tianjin" in text_of(history[-1])

    # The same name again: refused with a reason, never a silent replacement.
    note.write_text("# Tianjin robotics lab\n\nThe lab closed in 2022.\n")
    table, status = client.predict([handle_file(str(note))], ADMIN_KEY, api_name="/upload")
    assert "Skipped tianjin_note.md" in status and "never replaces" in status
    history, _, _ = client.predict("Where did the joint robotics lab open?", [], api_name="/respond")
    assert "Tianjin" in text_of(history[-1])

    table, status = client.predict("tianjin_note", ADMIN_KEY, api_name="/remove_document")
    assert "tianjin_note" not in [row[0] for row in table["data"]] and "Removed" in status
    assert "removed-documents" in status and "/" + "tmp" not in status  # kept, and no server path shown
    _, status = client.predict("no_such_doc", ADMIN_KEY, api_name="/remove_document")
    assert "No document" in status


def test_an_upload_batch_reports_each_file_and_indexes_the_good_ones(app_url, tmp_path):
    from gradio_client import Client, handle_file

    files = {"kazan_note.txt": b"A joint optics school opened in Kazan in 2020.\n",
             "empty.txt": b"  \n", "blob.txt": b"\x00\x01\x02\x03" * 64,
             "utf16_note.txt": "Omsk hosts a joint seed bank since 2019.\n".encode("utf-16")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    client = Client(app_url, verbose=False)
    table, status = client.predict([handle_file(str(tmp_path / n)) for n in files], ADMIN_KEY, api_name="/upload")
    ids = [row[0] for row in table["data"]]
    assert "kazan_note" in ids and "utf16_note" in ids and "empty" not in ids and "blob" not in ids
    assert {"zz_links", "zz_markup", "000_2561fe39030d5e94"} <= set(ids)  # the indexed folder's documents stay
    assert "Skipped empty.txt: file holds no text" in status and "Skipped blob.txt: binary" in status
    assert "/tmp" not in status and "gradio" not in status  # names, not server paths
    for doc_id in ("kazan_note", "utf16_note"):
        client.predict(doc_id, ADMIN_KEY, api_name="/remove_document")


def test_an_endpoint_handed_a_server_path_reads_nothing(app_url, tmp_path):
    """Raw HTTP, as an attacker would: the upload endpoint given a path on the server as "file data"."""
    secret = tmp_path / "server_password.txt"
    secret.write_text("The server password is hunter2-swordfish.\n")
    http = httpx.Client(base_url=app_url, timeout=60)
    before = {row[0] for row in _documents(app_url)}
    file_data = {"path": str(secret), "orig_name": secret.name, "meta": {"_type": "gradio.FileData"}}
    for payload in ([[file_data], ADMIN_KEY], [[str(secret)], ADMIN_KEY]):
        event = http.post("/gradio_api/call/upload", json={"data": payload})
        if event.status_code == 200:
            stream = http.get(f"/gradio_api/call/upload/{event.json()['event_id']}").text
            assert "hunter2" not in stream
    assert {row[0] for row in _documents(app_url)} == before
    from gradio_client import Client

    history, _, _ = Client(app_url, verbose=False).predict("What is the server password?", [], api_name="/respond")
    assert "hunter2" not in text_of(history[-1])


def _documents(app_url: str) -> list[list]:
    from gradio_client import Client

    table, _ = Client(app_url, verbose=False).predict("", ADMIN_KEY, api_name="/remove_document")
    return table["data"]


def test_changes_others_would_see_need_the_admin_key(app_url, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    note = tmp_path / "planted.md"
    note.write_text("# Planted\n\nThe freeze was a hoax.\n")
    for key in (None, "wrong-key"):
        table, status = client.predict([handle_file(str(note))], key, api_name="/upload")
        assert status.startswith("⚠️") and "admin key" in status and "planted" not in [r[0] for r in table["data"]]
        table, status = client.predict("000_2561fe39030d5e94", key, api_name="/remove_document")
        assert status.startswith("⚠️") and "000_2561fe39030d5e94" in [r[0] for r in table["data"]]
        _, status = client.predict(key, api_name="/rebuild")
        assert status.startswith("⚠️")
        message = client.predict("openai-compatible", "http://attacker.example/v1", "m", 6, True, 0.0, key,
                                 api_name="/apply_settings")
        assert message.startswith("⚠️") and "admin key" in message
        assert client.predict(key, api_name="/run_eval")[3].startswith("⚠️")
    # What changes only the visitor's own answers needs no key.
    assert "top_k=3" in client.predict("local", "", "", 3, True, 0.0, None, api_name="/apply_settings")


def test_settings_are_validated_and_apply_to_one_session_only(app_url):
    from gradio_client import Client

    client, other = Client(app_url, verbose=False), Client(app_url, verbose=False)
    message = client.predict("openai-compatible", "", "", 6, True, 0.0, ADMIN_KEY, api_name="/apply_settings")
    assert message.startswith("⚠️") and "RAG_BASE_URL" in message
    message = client.predict("openai-compatible", "file:///etc/passwd", "any", 6, True, 0.0, ADMIN_KEY,
                             api_name="/apply_settings")
    assert message.startswith("⚠️") and "http://" in message
    # A dead model server: the chat says which setting to fix, no stack trace.
    message = client.predict("openai-compatible", "http://127.0.0.1:9/v1", "any", 6, True, 0.0, ADMIN_KEY,
                             api_name="/apply_settings")
    assert "Settings applied to your session" in message
    history, _, _ = client.predict("Who is Alexander Sergeev?", [], api_name="/respond")
    assert text_of(history[-1]).startswith("⚠️") and "RAG_BASE_URL" in text_of(history[-1])
    # Another visitor, and /v1, still get the app's own backend.
    history, _, _ = other.predict("Who is Alexander Sergeev?", [], api_name="/respond")
    assert "Sergeev" in text_of(history[-1]) and not text_of(history[-1]).startswith("⚠️")
    reply = OpenAI(base_url=f"{app_url}/v1", api_key="unused").chat.completions.create(
        model="rag-assistant", messages=[{"role": "user", "content": "Who is Alexander Sergeev?"}])
    assert "Sergeev" in reply.choices[0].message.content


def test_eval_tab_runs_the_eval_and_shows_the_report(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    # The first 3 gold questions (the whole set runs in the CI's eval gate, and takes 5 minutes here).
    summary, failure_list, chart, status = client.predict(ADMIN_KEY, 3, api_name="/run_eval")
    metrics = {row[0]: row[1] for row in summary["data"]}
    assert float(metrics["citation_recall"]) > 0.9 and int(metrics["questions"]) == 3
    assert chart and "](/reports/" in status  # the report is a link the browser can open
    assert client.predict(api_name="/latest_eval")[3] == status
    link = status.split("](", 1)[1].split(")", 1)[0]
    page = httpx.get(app_url + link, timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert httpx.get(app_url + "/reports/..%2F..%2Fapp.py/report.html", timeout=30).status_code == 404


def test_the_openai_client_uses_v1_plain_and_streaming(app_url):
    client = OpenAI(base_url=f"{app_url}/v1", api_key="unused")
    assert [m.id for m in client.models.list().data] == ["rag-assistant", "all-MiniLM-L6-v2-onnx-int8"]

    reply = client.chat.completions.create(model="rag-assistant",
                                           messages=[{"role": "user", "content": "Did China deny the freeze?"}])
    assert "[1]" in reply.choices[0].message.content
    citations = reply.model_extra["citations"]
    assert citations[0]["doc_id"] == "000_2561fe39030d5e94" and citations[0]["quote"]
    assert reply.model_extra["abstained"] is False

    text, last = "", None
    for chunk in client.chat.completions.create(model="rag-assistant", stream=True, messages=[
            {"role": "user", "content": "Who is the president of the Russian Academy of Engineering?"},
            {"role": "assistant", "content": "Gusev Vladimirovich [1]."},
            {"role": "user", "content": "What did he say about energy?"}]):
        text += chunk.choices[0].delta.content or "" if chunk.choices else ""
        last = chunk
    assert "energy" in text.lower() and "[1]" in text
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"]


def test_bearer_token_auth_when_set_and_errors_in_openai_format(settings):
    server = FastAPI()
    add_openai_api(server, Assistant(settings.replace(server_api_key="s3cret")))
    http = TestClient(server)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = http.get("/v1/models", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert set(refused.json()["error"]) == {"message", "type", "param", "code"}
    auth = {"Authorization": "Bearer s3cret"}
    assert http.get("/v1/models", headers=auth).status_code == 200
    empty = http.post("/v1/chat/completions", headers=auth, json={"messages": [{"role": "user", "content": " "}]})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    no_body = http.post("/v1/chat/completions", headers=auth, json={"model": "x"})
    assert no_body.status_code == 400 and no_body.json()["error"]["param"] == "messages"
    assert no_body.json()["error"]["type"] == "invalid_request_error"


def test_a_lone_surrogate_in_a_v1_question_is_answered_not_a_500(assistant):
    server = FastAPI()
    add_openai_api(server, assistant)
    http = TestClient(server)
    body = '{"messages": [{"role": "user", "content": "Hi \\ud800"}, {"role": "assistant", "content": "x"},' \
           ' {"role": "user", "content": "Did China deny the \\udc00 freeze?"}]}'
    for stream in (False, True):
        sent = body[:-1] + (', "stream": true}' if stream else "}")
        answered = http.post("/v1/chat/completions", content=sent, headers={"Content-Type": "application/json"})
        assert answered.status_code == 200, answered.text
        assert "did not deny" in answered.text


@contextlib.contextmanager
def v1_server(assistant: Assistant):
    """/v1 over ``assistant`` on a real uvicorn server on loopback: yields its chat completions URL."""
    with servers.assistant_api(assistant) as base:
        yield f"{base}/chat/completions"


def test_v1_past_its_bound_answers_busy_at_once_and_a_client_that_leaves_frees_its_slot(settings):
    body = {"messages": [{"role": "user", "content": "Did China deny the freeze?"}]}
    with v1_server(Assistant(settings.replace(max_concurrent_questions=1))) as url:
        with httpx.stream("POST", url, json={**body, "stream": True}, timeout=60) as first:
            assert next(first.iter_lines()).startswith("data: ")  # answering: the one slot is taken
            started = time.perf_counter()
            refused = httpx.post(url, json=body, timeout=60)
            assert time.perf_counter() - started < 1.0  # told at once, not queued
            assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
            assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        # The first client left mid-answer: its slot comes back (at the answer's next stage at the latest).
        deadline = time.perf_counter() + 60
        while (again := httpx.post(url, json=body, timeout=120)).status_code == 429 and time.perf_counter() < deadline:
            time.sleep(0.5)
        assert again.status_code == 200 and "did not deny" in again.json()["choices"][0]["message"]["content"]


def test_v1_gives_one_address_one_question_at_a_time_and_others_their_answers(assistant):
    body = {"messages": [{"role": "user", "content": "Did China deny the freeze?"}]}

    def from_address(address: str) -> httpx.Client:  # another loopback address: not the machine's own 127.0.0.1
        return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=120)

    with v1_server(assistant) as url, from_address("127.0.0.2") as flooder, from_address("127.0.0.3") as visitor:
        with flooder.stream("POST", url, json={**body, "stream": True}) as first:
            lines = first.iter_lines()
            assert next(lines).startswith("data: ")  # its one question is being answered
            refused = flooder.post(url, json=body)
            assert refused.status_code == 429 and "RAG_MAX_QUESTIONS_PER_CLIENT" in refused.json()["error"]["message"]
            answered = visitor.post(url, json=body)
            assert answered.status_code == 200 and "did not deny" in answered.json()["choices"][0]["message"]["content"]
            for _ in lines:
                pass  # the first answer ends: the address may ask again
        assert flooder.post(url, json=body).status_code == 200


def test_behind_a_trusted_proxy_the_bound_counts_the_visitor_not_the_proxy(assistant):
    """X-Forwarded-For names the client only when a proxy in RAG_TRUSTED_PROXIES sends it."""
    body = {"messages": [{"role": "user", "content": "Did China deny the freeze?"}]}
    proxied = assistant.derive(trusted_proxies=("127.0.0.2",))

    def via(address: str, visitor: str) -> httpx.Client:
        return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=120,
                            headers={"X-Forwarded-For": visitor})

    with v1_server(proxied) as url, via("127.0.0.2", "203.0.113.7") as first, \
            via("127.0.0.2", "203.0.113.8") as second, via("127.0.0.3", "203.0.113.9") as spoofer, \
            via("127.0.0.3", "203.0.113.10") as spoofer_again:
        with first.stream("POST", url, json={**body, "stream": True}) as held:
            assert next(held.iter_lines()).startswith("data: ")
            assert first.post(url, json=body).status_code == 429  # the same visitor behind the proxy
            assert second.post(url, json=body).status_code == 200  # another visitor behind the same proxy
        with spoofer.stream("POST", url, json={**body, "stream": True}) as held:
            assert next(held.iter_lines()).startswith("data: ")
            # 127.0.0.3 is not a trusted proxy: its header is ignored, the address is the identity
            assert spoofer_again.post(url, json=body).status_code == 429


class CountingJudge:
    """The real bundled judge, counting the candidates it reads."""

    def __init__(self, judge):
        self.judge, self.read = judge, 0

    def answers(self, question, candidates):
        self.read += len(candidates)
        return self.judge.answers(question, candidates)

    def entails(self, premise, claims):
        return self.judge.entails(premise, claims)

    def yes_no(self, question, passage):
        return self.judge.yes_no(question, passage)

    def referents(self, conversation, question, pronoun, options):
        return self.judge.referents(conversation, question, pronoun, options)

    def instructions(self, passages):
        return self.judge.instructions(passages)

    def instruction_reading(self):
        return self.judge.instruction_reading()


def test_a_v1_stream_whose_client_leaves_stops_between_the_passages_the_judge_reads(assistant):
    judge = CountingJudge(assistant.judge())
    # A question no other test asks: the judge would answer one it has read before from memory, at once.
    body = {"messages": [{"role": "user", "content": "Which academy does Alexander Sergeev preside over?"}],
            "stream": True}
    with v1_server(Assistant(assistant.settings, judge=judge)) as url:
        with httpx.stream("POST", url, json=body, timeout=60) as r:
            for line in r.iter_lines():
                if line.startswith(": Checking the 3 best passages"):
                    break  # the judge is reading the first passage: the client leaves
        time.sleep(15)  # the whole answer (3 passages and the lead) takes 3-6 s on 2 cores
        assert 1 <= judge.read < 3, judge.read


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_streams_an_answer_and_a_click_shows_the_quote(app_url, recorder):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app_url)
        question = page.locator("#question textarea")
        question.fill("Did China deny the freeze?")
        started = time.perf_counter()
        question.press("Enter")
        bot = page.locator("#chat .bot").last
        expect(bot).to_contain_text("Zhao", timeout=60_000)
        first_token = time.perf_counter() - started
        expect(bot).to_contain_text("did not deny", timeout=60_000)
        bot.locator('a[href="#src-1-1"]').first.click()
        source = page.locator("#src-1-1")
        expect(source.locator("mark")).to_be_visible()
        expect(source).to_be_in_viewport()
        assert "did not deny the charge" in source.locator("mark").inner_text()
        page.screenshot(path=str(ARTIFACTS / "answer-with-source.png"), full_page=True)

        # An abstention is shown as such, with the closest sources.
        question.fill("Who won the 2022 Nobel Prize in Physics?")
        question.press("Enter")
        expect(page.locator("#chat .bot").last).to_contain_text("The documents don't say", timeout=60_000)
        expect(page.locator("#sources")).to_contain_text("No supported answer")

        # A document with <script> and <img onerror> is shown as text and runs nothing.
        question.fill("When does the carbon materials conference in Harbin open?")
        question.press("Enter")
        expect(page.locator("#sources")).to_contain_text("onerror", timeout=60_000)
        assert page.evaluate("window.__pwned") is None
        page.screenshot(path=str(ARTIFACTS / "markup-shown-as-text.png"), full_page=True)

        # A Markdown image, link and bare URL in a document: shown as text, nothing fetched or clickable.
        question.fill("When does the Volga radio telescope array open?")
        question.press("Enter")
        expect(page.locator("#chat .bot").last).to_contain_text("2031", timeout=60_000)
        time.sleep(1)
        assert recorder[1] == [], f"the page fetched {recorder[1]}"
        assert page.locator("#chat .bot").last.locator("img, a[href^='http']").count() == 0

        # The first answer's marker still shows the first answer's source, not the latest one's.
        page.locator("#chat .bot").first.locator('a[href="#src-1-1"]').first.click()
        expect(page.locator("#src-1-1")).to_be_in_viewport()
        assert "did not deny the charge" in page.locator("#src-1-1 mark").inner_text()
        browser.close()
    (ARTIFACTS / "browser-timing.json").write_text(json.dumps({"first_token_s": round(first_token, 2)}))


def test_saved_chats_survive_a_reload_and_stay_in_their_browser(app_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox",
                                                                                  "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(app_url)
        # Gradio keeps a BrowserState encrypted: the empty list is stored on load, this chat once its answer
        # is complete (an answer the judge has read before comes at once: wait for the save, not the text).
        page.wait_for_function("localStorage.getItem('cited-rag-chats') !== null", timeout=30_000)
        empty = len(page.evaluate("localStorage.getItem('cited-rag-chats')"))
        question = page.locator("#question textarea")
        question.fill("Who is Alexander Sergeev?")
        question.press("Enter")
        expect(page.locator("#chat .bot").last).to_contain_text("Academy of Sciences", timeout=90_000)
        page.wait_for_function(f"(localStorage.getItem('cited-rag-chats') || '').length > {empty + 100}",
                               timeout=90_000)

        page.reload()
        expect(page.locator("#chat .bot")).to_have_count(0)
        page.locator("#chat-list input").click()
        page.get_by_role("option", name=re.compile("Who is Alexander Sergeev")).click()
        page.locator("#open-chat").click()
        expect(page.locator("#chat .bot").last).to_contain_text("Academy of Sciences", timeout=30_000)
        expect(page.locator("#sources mark").first).to_be_visible()  # its sources came back with it
        page.locator("#chat .bot").last.locator('a[href="#src-1-1"]').first.click()
        expect(page.locator("#src-1-1")).to_be_in_viewport()

        # Another visitor (a second browser context: its own storage) sees none of it.
        other = browser.new_context().new_page()
        other.goto(app_url)
        expect(other.locator("#question textarea")).to_be_visible(timeout=30_000)
        mine = page.evaluate("localStorage.getItem('cited-rag-chats')")
        assert other.evaluate("localStorage.getItem('cited-rag-chats')") != mine  # at most its own empty list
        other.locator("#chat-list input").click()
        expect(other.get_by_role("option")).to_have_count(0)

        # Deleting it in the first browser removes it there for good.
        page.locator("#delete-chat").click()
        expect(page.locator("#chat .bot")).to_have_count(0)
        page.reload()
        page.locator("#chat-list input").click()
        expect(page.get_by_role("option")).to_have_count(0)
        browser.close()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_start_after_an_interrupted_ingest_serves_at_once_and_shows_the_background_progress(tmp_path, settings):
    from playwright.sync_api import expect, sync_playwright

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for f in CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    env = {**os.environ, "RAG_FAST": "true", "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(index),
           "RAG_CACHE_DIR": str(settings.cache_dir)}
    subprocess.run([sys.executable, "-m", "rag", "index"], cwd=ROOT, check=True, capture_output=True, env=env)
    for copy in range(16):  # ~400 chunks still to index: ~40 s of encoding on 2 cores, so the page sees it going
        for f in CORPUS.iterdir():
            shutil.copy(f, corpus / f"{f.stem}_{copy}{f.suffix}")
    # The state an ingest killed mid-way leaves (tests/test_killed_ingest.py kills real ones).
    subprocess.run([sys.executable, "-c", "from rag import Assistant; Assistant().store.mark_complete(False)"],
                   cwd=ROOT, check=True, capture_output=True, env=env)
    port = free_port()
    with serving([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port, seconds=120, cwd=ROOT,
                 env=env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox",
                                                                                  "--disable-gpu"])
        page = browser.new_page()
        page.goto(url)
        expect(page.locator("#ingest-status")).to_contain_text("Indexing in the background", timeout=30_000)
        question = page.locator("#question textarea")
        question.fill("Who is Alexander Sergeev?")
        question.press("Enter")  # answered from the index as it is, while the ingest goes on
        expect(page.locator("#chat .bot").last).to_contain_text("Academy of Sciences", timeout=60_000)
        expect(page.locator("#ingest-status")).to_contain_text("Indexing finished", timeout=300_000)
        browser.close()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_in_the_browser_a_visitor_asks_one_question_at_a_time_and_another_visitor_is_answered(app_url):
    """The per-client bound in the web UI, with visitors told apart as a reverse proxy on loopback (a
    trusted proxy by default) tells them apart: by X-Forwarded-For."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox",
                                                                                  "--disable-gpu"])
        visitor = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.7"})
        other = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.8"})
        first, second, elsewhere = visitor.new_page(), visitor.new_page(), other.new_page()
        for page in (first, second, elsewhere):
            page.goto(app_url)
        # A question no other test asks: one the judge has read before would be answered before the second tab asks.
        first.locator("#question textarea").fill("Did China deny the freeze of its cooperation with the academy?")
        first.locator("#question textarea").press("Enter")
        expect(first.locator("#chat .bot").last).to_contain_text("…", timeout=30_000)  # admitted, being answered
        second.locator("#question textarea").fill("Who is Alexander Sergeev?")
        second.locator("#question textarea").press("Enter")  # the same visitor in another tab: refused at once
        expect(second.locator("#chat .bot").last).to_contain_text("RAG_MAX_QUESTIONS_PER_CLIENT", timeout=10_000)
        elsewhere.locator("#question textarea").fill("Who is Alexander Sergeev?")
        elsewhere.locator("#question textarea").press("Enter")  # another visitor meanwhile: answered
        expect(elsewhere.locator("#chat .bot").last).to_contain_text("Academy of Sciences", timeout=60_000)
        expect(first.locator("#chat .bot").last).to_contain_text("did not deny", timeout=60_000)
        second.locator("#question textarea").fill("Who is Alexander Sergeev?")
        second.locator("#question textarea").press("Enter")  # the first answer is done: the visitor may ask again
        expect(second.locator("#chat .bot").last).to_contain_text("Academy of Sciences", timeout=60_000)
        browser.close()


LOAD_QUESTIONS = ["Did China deny the freeze?", "Who is Alexander Sergeev?",
                  "What do China and Russia plan to build on the moon?", "Who won the 2022 Nobel Prize in Physics?"]


def test_sixteen_concurrent_sessions_through_v1_and_the_gradio_queue(app_url):
    """16 sessions through /v1 and 16 through Gradio at once: no error, and each gets the answer its own
    question gets alone (nothing mixed between sessions). Latencies go to tests/artifacts/load.json."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    api = OpenAI(base_url=f"{app_url}/v1", api_key="unused", max_retries=0, timeout=600)
    alone = {q: api.chat.completions.create(model="rag-assistant", messages=[{"role": "user", "content": q}])
             .choices[0].message.content for q in LOAD_QUESTIONS}
    # Past RAG_MAX_CONCURRENT_QUESTIONS (4) /v1 answers 429 with Retry-After: the openai client waits and
    # retries, as it does by default.
    patient = OpenAI(base_url=f"{app_url}/v1", api_key="unused", max_retries=20, timeout=600)

    def through_v1(n: int):
        question = LOAD_QUESTIONS[n % len(LOAD_QUESTIONS)]
        started = time.perf_counter()
        reply = patient.chat.completions.create(model="rag-assistant", messages=[{"role": "user", "content": question}])
        return "v1", question, reply.choices[0].message.content, time.perf_counter() - started

    def through_gradio(n: int):
        question = LOAD_QUESTIONS[n % len(LOAD_QUESTIONS)]
        client = Client(app_url, verbose=False)
        started = time.perf_counter()
        history, _, _ = client.predict(question, [], api_name="/respond")
        return "gradio", question, text_of(history[-1]), time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=32) as pool:
        jobs = [pool.submit(through_v1, n) for n in range(16)] + [pool.submit(through_gradio, n) for n in range(16)]
        results = [job.result(timeout=900) for job in jobs]
    for route, question, text, _ in results:
        assert not text.startswith("⚠️"), (route, question, text)
        if route == "v1":
            assert text == alone[question], (question, text)
        else:  # the UI shows the same answer, as inert Markdown with markers as links
            assert as_plain_text(text) == alone[question], (question, text)
    seconds = sorted(r[3] for r in results)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps({
        "sessions": len(results), "p50_s": round(seconds[len(seconds) // 2], 2),
        "p95_s": round(seconds[int(len(seconds) * 0.95) - 1], 2), "max_s": round(seconds[-1], 2)}))
