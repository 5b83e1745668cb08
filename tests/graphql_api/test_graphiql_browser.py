"""GraphiQL in headless Chromium against the real stack: a subscription started in the page
shows an event produced to Kafka after it started; the pasted token stays out of storage; the
page's policy lets nothing but its own scripts run.

Needs Debian's chromium and the Python playwright package (scripts/test-deps.sh installs
both). Without them this test fails: it never skips.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.sending import produce
from graphql_api.ws import HUB
from tests.fixtures.services import ROOT
from tests.fixtures.stack import WorkerProcess
from tests.graphql_api.ws_client import wait_until

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts" / "graphql_api"

# CodeMirror 5 keeps its editor object on the element; GraphiQL 3 has one per editor.
SET_EDITOR = """([selector, text]) => {
  const el = document.querySelector(selector);
  if (!el || !el.CodeMirror) throw new Error("no editor at " + selector);
  el.CodeMirror.setValue(text);
}"""
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"


async def test_a_subscription_in_graphiql_shows_an_event_produced_after_it_started(
        worker: WorkerProcess, api: TestClient, settings: Settings, app_key: str,
        api_token: str) -> None:
    if shutil.which(CHROMIUM) is None:
        raise AssertionError(f"{CHROMIUM} is missing: run scripts/test-deps.sh")
    from playwright.async_api import async_playwright

    sid = str(uuid.uuid4())
    path = f"/from-kafka-{uuid.uuid4().hex[:8]}"
    console: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            await page.goto(str(api.make_url("/graphql")))
            await page.wait_for_selector(QUERY_EDITOR)
            await page.wait_for_selector(HEADERS_EDITOR)
            await page.evaluate(SET_EDITOR, [HEADERS_EDITOR,
                                             f'{{"Authorization": "Bearer {api_token}"}}'])
            await page.evaluate(SET_EDITOR, [
                QUERY_EDITOR, f'subscription {{ sessionEvents(id: "{sid}") '
                              "{ sessionId name data } }"])
            await page.click(".graphiql-execute-button")
            await wait_until(lambda: api.app[HUB].clients == 1, timeout=15)

            produce(settings, [{"session_id": sid, "category": "page interaction",
                                "name": "pageview", "data": {"host": "h", "path": path},
                                "timestamp": datetime.now(UTC).isoformat()}], app_key=app_key)
            await page.wait_for_function(
                "p => document.querySelector('.result-window').innerText.includes(p)", arg=path,
                timeout=30_000)
            result = await page.inner_text(".result-window")
            assert sid in result and "pageview" in result
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "graphiql-subscription.png"))

            stored = await page.evaluate(
                "() => Object.keys(localStorage).map(k => k + '=' + localStorage.getItem(k))"
                ".join('\\n')")
            assert api_token not in stored, stored
        finally:
            await browser.close()
    # the policy let GraphiQL run: nothing refused (the 401s of its schema request with the
    # placeholder token before ours was pasted are expected)
    assert not [c for c in console if "Content Security Policy" in c or "Refused" in c], console
