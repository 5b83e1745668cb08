"""The charts in headless chromium against the real stack: /ui/live plots lag and rates from
the server's samples, a session's page plots its events along time; screenshots of both land
in tests/artifacts/pages/. uPlot comes from this server, never from a CDN."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from eye.server import create_server
from tests.fixtures.pages import db, drained, sign_in
from tests.fixtures.stack import WorkerProcess, derive
from tests.pages.conftest import UI_ASSETS


@pytest_asyncio.fixture
async def live_api(settings: Settings) -> AsyncIterator[TestClient]:
    """The API sampling the live history every second (every 2 s in effect: the lag monitor
    keeps a measurement that long), with the chart library where the script puts it."""
    fast = derive(settings, live_sample_interval=1.0, ui_assets_dir=UI_ASSETS)
    client = TestClient(TestServer(create_server(fast)))
    await client.start_server()
    yield client
    await client.close()


async def evaluated(page: Any, expr: str, ok: Any, what: str, timeout: float = 45.0) -> Any:
    """Poll `expr` in the page until `ok(value)` (the CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(expr)
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {expr} is still {value!r}"
        await asyncio.sleep(0.5)


def points(series: list[float | None]) -> int:
    return sum(v is not None for v in series)


async def test_the_live_charts_plot_lag_and_rates(worker: WorkerProcess, live_api: TestClient,
                                                  settings: Settings, app_key: str,
                                                  api_token: str, browser: Any,
                                                  artifacts: Path) -> None:
    base = str(live_api.make_url("")).rstrip("/")
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(str(exc)))
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await sign_in(page, base, api_token)
    await page.goto(base + "/ui/live")
    await evaluated(page, "window.eyeCharts && window.eyeCharts.rates !== undefined", bool,
                    "the charts are made")

    # Messages arrive in waves while the page watches: valid ones and some that are rejected.
    for seed in range(3):
        produce(settings, [*demo_events(sessions=3, seed=seed), b"{not json", b"[]"],
                app_key=app_key)
        await asyncio.sleep(2.5)
    await drained(settings)
    # The lag chart: a point per sample; the rates chart: received, stored and rejected above 0.
    lag = await evaluated(page, "window.eyeCharts.lag.data", lambda d: points(d[1]) >= 5,
                          "samples of the lag")
    assert len(lag) == 3 and len(lag[0]) == len(lag[1]) == len(lag[2])
    assert lag[0] == sorted(lag[0])
    rates = await evaluated(page, "window.eyeCharts.rates.data",
                            lambda d: all(max((v or 0) for v in s) > 0 for s in d[1:]),
                            "received, stored and rejected above 0")
    assert points(rates[1]) >= 4
    await evaluated(page, "window.eyeCharts.lag.data[1].slice(-1)[0]", lambda v: v == 0,
                    "the lag back at 0 once drained")
    # Drawn: the canvas holds pixels that are not the background.
    drawn = await page.evaluate("""() => {
        const c = document.querySelector('#chart-rates canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n; }""")
    assert drawn > 1000
    labels = await page.locator("#chart-rates .u-legend .u-label").all_text_contents()
    assert labels[1:] == ["received", "stored", "rejected"]
    await page.screenshot(path=artifacts / "live-charts.png", full_page=True)
    # With the worker stopped, what is produced waits, and the lag chart climbs to it.
    worker.stop()
    waiting = produce(settings, demo_events(sessions=3, seed=9), app_key=app_key)
    await evaluated(page, "window.eyeCharts.lag.data[1].slice(-1)[0]", lambda v: v == waiting,
                    f"the lag chart at the {waiting} waiting records")
    await page.screenshot(path=artifacts / "live-charts-lagging.png", full_page=True)
    assert failed == [], failed
    assert all(u.startswith(base) for u in requests), "a request left the server"
    assert base + "/ui/assets/uPlot.js" in requests
    await page.close()


async def test_a_session_is_drawn_along_time(worker: WorkerProcess, live_api: TestClient,
                                             settings: Settings, app_key: str, api_token: str,
                                             browser: Any, artifacts: Path) -> None:
    events = demo_events(sessions=3, seed=11)
    produce(settings, events, app_key=app_key)
    await drained(settings)
    # The longest session, so the chart has several rows and points.
    sid = max({e["session_id"] for e in events},
              key=lambda s: sum(e["session_id"] == s for e in events))
    stored = db(settings, 'SELECT category, name, extract(epoch FROM "timestamp") '
                'FROM events WHERE session_id = %s ORDER BY "timestamp", id', sid)
    assert len(stored) >= 3

    base = str(live_api.make_url("")).rstrip("/")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(str(exc)))
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    await sign_in(page, base, api_token)
    await page.goto(f"{base}/ui/sessions/{sid}")
    data = await evaluated(page, "window.eyeTimeline && window.eyeTimeline.data", bool,
                           "the timeline is drawn")
    times, rows = data[0], data[1:]
    assert times == [float(t) for _c, _n, t in stored]
    types = list(dict.fromkeys(f"{c} / {n}" for c, n, _t in stored))
    labels = await page.evaluate("window.eyeTimeline.series.slice(1).map(s => s.label)")
    assert labels == types
    # Each event is one point, on its type's row.
    assert sum(points(r) for r in rows) == len(stored)
    for i, (c, n, _t) in enumerate(stored):
        assert rows[types.index(f"{c} / {n}")][i] == types.index(f"{c} / {n}")
    await page.screenshot(path=artifacts / "session-timeline.png", full_page=True)
    assert failed == [], failed
    await page.close()


async def test_the_chart_library_is_served_here(settings: Settings, api_token: str,
                                                tmp_path: Path) -> None:
    for where, status in ((UI_ASSETS, 200), (tmp_path, 503)):
        client = TestClient(TestServer(create_server(derive(settings, ui_assets_dir=where))))
        await client.start_server()
        try:
            resp = await client.get("/ui/assets/uPlot.js")
            assert resp.status == status
            if status == 200:
                assert "javascript" in resp.headers["Content-Type"]
                assert "uPlot" in await resp.text()
            else:
                assert "scripts/ui-assets.sh" in await resp.text()
            assert (await client.get("/ui/assets/other.js")).status == 404
            resp = await client.get("/ui/live/history.json")
            assert resp.status == 401
            resp = await client.get("/ui/live/history.json", cookies={"eye_token": api_token})
            body = await resp.json()
            assert body["span"] == 900.0 and set(body["columns"]) == {
                "at", "lag", "lag_seconds", "received", "stored", "rejected"}
        finally:
            await client.close()
