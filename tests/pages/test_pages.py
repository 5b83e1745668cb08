"""The pages in headless chromium against the real stack: sign in, list and filter sessions,
page through them, read one as a timeline, read errors by reason, watch the live panel; a
screenshot of each lands in tests/artifacts/pages/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from tests.fixtures.pages import db, drained
from tests.fixtures.stack import WorkerProcess

HOSTILE_PATH = "/<img src=x onerror=alert(1)>"


async def test_each_page_in_the_browser(worker: WorkerProcess, api: TestClient,
                                        settings: Settings, app_key: str, api_token: str,
                                        browser: Any, artifacts: Path) -> None:
    events = demo_events(sessions=5, seed=3)
    hostile = dict(events[0], data={"host": "www.example.com", "path": HOSTILE_PATH})
    produce(settings, [*events, hostile], app_key=app_key)
    produce(settings, [b"{not json", orjson.dumps({"session_id": "x"})], app_key=app_key)
    produce(settings, events[:1], app_key="eye_not-a-key")
    await drained(settings)
    base = str(api.make_url("")).rstrip("/")
    dialogs: list[str] = []

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("dialog", lambda d: dialogs.append(d.message))
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(str(exc)))

    # Sign in: a wrong token is refused, the right one sets an HttpOnly cookie.
    await page.goto(base + "/ui/sessions")
    await page.wait_for_url(lambda u: "/ui/login?next=" in u)
    await page.fill("#token", "eyt_wrong")
    await page.click("button[type=submit]")
    assert "unknown or revoked" in await page.text_content("p.error")
    await page.screenshot(path=artifacts / "login.png")
    await page.fill("#token", api_token)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/ui/sessions")
    (cookie,) = [c for c in await context.cookies() if c["name"] == "eye_token"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The session list: every session, newest first, filterable by application and time.
    sessions = db(settings, "SELECT session_id FROM sessions ORDER BY first_seen DESC, "
                  "session_id DESC")
    assert len(sessions) == 5
    shown = await page.locator("a.session").all_text_contents()
    assert shown == [s for (s,) in sessions]
    await page.screenshot(path=artifacts / "sessions.png", full_page=True)
    (app_name,) = db(settings, "SELECT name FROM applications")[0]
    await page.select_option("select[name=app]", label=app_name)
    await page.click("form.filters button")
    assert await page.locator("a.session").count() == 5
    await page.fill("input[name=from]", "2099-01-01T00:00")
    await page.click("form.filters button")
    assert await page.text_content("p.empty") == "No sessions match."

    # Keyset pages of two: 2 + 2 + 1, in order, and no link past the last.
    await page.goto(base + "/ui/sessions?size=2")
    paged: list[str] = []
    while True:
        paged += await page.locator("a.session").all_text_contents()
        older = page.locator("a[rel=next]")
        if await older.count() == 0:
            break
        await older.click()
        await page.wait_for_load_state()
    assert paged == [s for (s,) in sessions]

    # A session's detail: its events as a timeline, hostile data shown as text.
    sid = hostile["session_id"]
    await page.goto(base + "/ui/sessions")
    await page.click(f"a.session:text('{sid}')")
    await page.wait_for_url(f"**/ui/sessions/{sid}")
    stored = db(settings, 'SELECT name FROM events WHERE session_id = %s ORDER BY "timestamp", id',
                sid)
    items = page.locator("ol.timeline li.event")
    assert await items.count() == len(stored) == sum(e["session_id"] == sid for e in events) + 1
    names = [n.strip() for n in await page.locator("li.event strong").all_text_contents()]
    assert names == [n for (n,) in stored]
    assert HOSTILE_PATH in " ".join(await page.locator("li.event .summary").all_text_contents())
    await page.locator("li.event details summary").first.click()
    await page.screenshot(path=artifacts / "session-detail.png", full_page=True)

    # Errors by reason: counts, and the latest with detail and payload.
    await page.click("nav a:text('Errors')")
    await page.wait_for_url("**/ui/errors")
    counts = dict(zip(await page.locator("table.reasons tbody td:first-child").all_text_contents(),
                      await page.locator("table.reasons tbody td.num").all_text_contents()))
    assert counts == {"malformed_json": "1", "missing_field": "1", "unauthorized_app": "1"}
    section = page.locator("section#malformed_json")
    assert "{not json" in await section.locator("pre.payload").text_content()
    assert await section.locator("p.detail").text_content()
    await page.screenshot(path=artifacts / "errors.png", full_page=True)

    # The live panel: lag 0 per partition; then the worker stops, messages wait, and the panel
    # shows them without a reload.
    await page.click("nav a:text('Live pipeline')")
    await page.wait_for_url("**/ui/live")
    # (Locator waits: the page's CSP forbids the string evaluation wait_for_function uses.)
    await expect(page.locator("#partitions tr")).to_have_count(settings.topic_partitions)
    await expect(page.locator("#lag-total")).to_have_text("0")
    await expect(page.locator("#live-status")).to_have_class("status ok")
    await page.screenshot(path=artifacts / "live-drained.png", full_page=True)
    worker.stop()
    waiting = produce(settings, demo_events(sessions=2, seed=4), app_key=app_key)
    await expect(page.locator("#lag-total")).to_have_text(str(waiting), timeout=15_000)
    lags = await page.locator("#partitions td.lag").all_text_contents()
    assert sum(map(int, lags)) == waiting
    assert float(await page.text_content("#rate-in")) > 0
    await page.screenshot(path=artifacts / "live-lagging.png", full_page=True)

    # Signing out ends the cookie: the pages send to the login form again.
    await page.click("form.logout button")
    await page.wait_for_url("**/ui/login")
    await page.goto(base + "/ui/errors")
    await page.wait_for_url(lambda u: "/ui/login?next=" in u)
    await context.close()
    assert dialogs == [], "a page ran injected script"
    assert failed == [], failed


async def test_pages_refuse_without_a_valid_cookie(api: TestClient, settings: Settings,
                                                   api_token: str) -> None:
    for path in ("/ui/sessions", "/ui/sessions/x", "/ui/errors", "/ui/live"):
        resp = await api.get(path, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/ui/login?next=")
    resp = await api.get("/ui/live.json")
    assert resp.status == 401
    resp = await api.get("/ui/live.json", cookies={"eye_token": "eyt_nope"})
    assert resp.status == 401
    # Only our own pages are a place to go after signing in.
    resp = await api.post("/ui/login", data={"token": api_token, "next": "//evil.example/"},
                          allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/ui/sessions"
    assert "HttpOnly" in resp.headers["Set-Cookie"]
    # A revoked token signs its browsers out at their next request.
    api.session.cookie_jar.update_cookies({"eye_token": api_token})
    assert (await api.get("/ui/sessions", allow_redirects=False)).status == 200
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        conn.execute("UPDATE api_tokens SET revoked_at = now()")
    assert (await api.get("/ui/sessions", allow_redirects=False)).status == 303
