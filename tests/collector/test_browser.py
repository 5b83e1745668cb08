"""tracker.js in headless Chromium against the real stack: a page loads, is clicked, is left,
and its events are in PostgreSQL.

Needs Debian's chromium and the Python playwright package (scripts/test-deps.sh installs
both). Without them this test fails: it never skips.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from tests.fixtures.rows import wait_rows
from tests.fixtures.stack import WorkerProcess

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<script src="{tracker}" data-app-key="{key}"></script></head>
<body><h1>{title}</h1>
<button id="buy" data-eye-element="buy-now">Buy now</button>
<a id="to-pricing" href="/pricing">Pricing</a>
<p id="not-tracked">plain text</p>
</body></html>"""


@pytest_asyncio.fixture
async def site(api: TestClient, app_key: str) -> AsyncIterator[str]:
    """A web site on an origin of its own (another port) whose pages include tracker.js."""
    tracker = str(api.make_url("/tracker.js"))

    async def page(request: web.Request) -> web.Response:
        title = "Home" if request.path == "/" else "Pricing"
        return web.Response(text=PAGE.format(title=title, tracker=tracker, key=app_key),
                            content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/pricing", page)
    server = TestServer(app)
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


async def test_page_views_and_clicks_from_a_browser_are_stored(
        worker: WorkerProcess, site: str, settings: Settings, app_key: str) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test-deps.sh", pytrace=False)
    from playwright.async_api import async_playwright

    console: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            sent: list[tuple[str, str]] = []  # (url, body) of every request to the collector
            page.on("request", lambda r: sent.append((r.url, r.post_data or ""))
                    if "/v1/events" in r.url else None)
            await page.goto(site)
            await page.wait_for_function("window.eye !== undefined")
            sid = await page.evaluate("window.eye.sessionId()")
            await page.click("#buy")
            await page.click("#not-tracked")
            await page.click("#to-pricing")  # leaving the page sends what is queued
            await page.wait_for_url("**/pricing")
            await page.wait_for_function("window.eye !== undefined")
            assert await page.evaluate("sessionStorage.getItem('eye.session_id')") == sid
            # The browser stays open meanwhile: the second page's view leaves on its timer.
            rows = await wait_rows(settings.dsn, "SELECT name, data FROM events "
                                   "WHERE session_id = %s ORDER BY \"timestamp\"", 4, (sid,))
        finally:
            await browser.close()

    got = [(name, data["path"], data.get("element")) for name, data in rows]
    assert got == [("pageview", "/", None), ("cta click", "/", "buy-now"),
                   ("cta click", "/", "to-pricing"), ("pageview", "/pricing", None)], console
    assert all(data["host"] == site.split("/")[2] for _, data in rows)
    # The key travels in the body, never in a URL (which logs and proxies keep).
    assert sent and all(app_key not in u and app_key in body for u, body in sent), sent
    errors = await wait_rows(settings.dsn, "SELECT reason, detail FROM errors", 0)
    assert errors == []
