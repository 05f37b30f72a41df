"""The real app (Gradio UI + /v1 API) on a loopback port, driven by gradio_client, the openai client and
headless Chromium (Playwright)."""

import json
import os
import shutil
import sys
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openai import OpenAI

from rag import Assistant
from rag.http_api import openai_router

from .conftest import CORPUS, ROOT, free_port, serving

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MARKUP_DOC = ("Harbin carbon conference\n\n<script>window.__pwned = 1</script>The carbon materials conference in "
              "Harbin opens on May 12 <img src=x onerror=\"window.__pwned = 2\"> with Russian and Chinese "
              "engineers.\n")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, settings):
    corpus = tmp_path_factory.mktemp("app-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    (corpus / "zz_markup.txt").write_text(MARKUP_DOC, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(tmp_path_factory.mktemp("app-index")),
           "RAG_CACHE_DIR": str(settings.cache_dir)}
    with serving([sys.executable, str(ROOT / "app.py"), "--port", str(port)], port, seconds=180, cwd=ROOT,
                 env=env) as url:
        yield url


def text_of(message: dict) -> str:
    content = message["content"]
    return " ".join(p.get("text", "") for p in content) if isinstance(content, list) else content


def test_gradio_client_asks_and_follows_up(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    history, sources, box = client.predict("Did China deny the freeze?", [], api_name="/respond")
    assert "did not deny" in text_of(history[-1])
    assert "](#src-1)" in text_of(history[-1])  # markers are links to the sources panel
    assert "id='src-1'" in sources and "<mark>" in sources and box == ""

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
    table, status = client.predict([handle_file(str(note))], api_name="/upload")
    assert "tianjin_note" in [row[0] for row in table["data"]] and "1 added" in status
    history, _, _ = client.predict("Where did the joint robotics lab open?", [], api_name="/respond")
    assert "Tianjin" in text_of(history[-1])

    table, status = client.predict("tianjin_note", api_name="/remove_document")
    assert "tianjin_note" not in [row[0] for row in table["data"]] and "Removed" in status
    assert "removed-documents" in status  # the file is kept, out of the corpus folder
    _, status = client.predict("no_such_doc", api_name="/remove_document")
    assert "No document" in status


def test_settings_are_validated_with_a_clear_message(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    message = client.predict("openai-compatible", "", "", 6, True, 0.0, api_name="/apply_settings")
    assert message.startswith("⚠️") and "RAG_BASE_URL" in message
    # A dead model server: the chat says which setting to fix, no stack trace.
    message = client.predict("openai-compatible", "http://127.0.0.1:9/v1", "any", 6, True, 0.0,
                             api_name="/apply_settings")
    assert "Settings applied" in message
    history, _, _ = client.predict("Who is Alexander Sergeev?", [], api_name="/respond")
    assert text_of(history[-1]).startswith("⚠️") and "RAG_BASE_URL" in text_of(history[-1])
    message = client.predict("local", "", "", 6, True, 0.0, api_name="/apply_settings")
    assert "Settings applied" in message


def test_eval_tab_runs_the_eval_and_shows_the_report(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    summary, failure_list, chart, status = client.predict(api_name="/run_eval")
    metrics = {row[0]: row[1] for row in summary["data"]}
    assert float(metrics["citation_recall"]) > 0.9 and int(metrics["questions"]) >= 40
    assert chart and "report.html" in status
    assert client.predict(api_name="/latest_eval")[3] == status


def test_the_openai_client_uses_v1_plain_and_streaming(app_url):
    client = OpenAI(base_url=f"{app_url}/v1", api_key="unused")
    assert [m.id for m in client.models.list().data] == ["rag-assistant"]

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


def test_bearer_token_auth_when_set(settings):
    server = FastAPI()
    server.include_router(openai_router(Assistant(settings.replace(server_api_key="s3cret"))))
    http = TestClient(server)
    assert http.get("/v1/models").status_code == 401
    assert http.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert http.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    empty = http.post("/v1/chat/completions", headers={"Authorization": "Bearer s3cret"},
                      json={"messages": [{"role": "user", "content": " "}]})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_streams_an_answer_and_a_click_shows_the_quote(app_url):
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
        bot.locator('a[href="#src-1"]').first.click()
        source = page.locator("#src-1")
        expect(source.locator("mark")).to_be_visible()
        expect(source).to_be_in_viewport()
        assert "did not deny the charge" in source.locator("mark").inner_text()
        page.screenshot(path=str(ARTIFACTS / "answer-with-source.png"), full_page=True)

        # An abstention is shown as such, with the closest sources.
        question.fill("Who won the 2022 Nobel Prize in Physics?")
        question.press("Enter")
        expect(page.locator("#chat .bot").last).to_contain_text("The articles don't say", timeout=60_000)
        expect(page.locator("#sources")).to_contain_text("No supported answer")

        # A document with <script> and <img onerror> is shown as text and runs nothing.
        question.fill("When does the carbon materials conference in Harbin open?")
        question.press("Enter")
        expect(page.locator("#sources")).to_contain_text("onerror", timeout=60_000)
        assert page.evaluate("window.__pwned") is None
        page.screenshot(path=str(ARTIFACTS / "markup-shown-as-text.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "browser-timing.json").write_text(json.dumps({"first_token_s": round(first_token, 2)}))
