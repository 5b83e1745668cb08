"""GET /metrics on the API server, for Prometheus; no token needed, as scrapers expect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

from eye.web import POOL, SETTINGS
from monitor import sampler
from monitor.history import History
from monitor.lag import LagMonitor, LagUnavailable
from monitor.metrics import api_registry

LAG = web.AppKey("lag_monitor", LagMonitor)
REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
HISTORY = web.AppKey("live_history", History)


def lag_monitor(app: web.Application) -> LagMonitor:
    """The application's one LagMonitor (made on first use, before the app starts)."""
    if LAG not in app:
        settings = app[SETTINGS]
        app[LAG] = LagMonitor(settings.kafka_bootstrap, settings.consumer_group, settings.topic)
    return app[LAG]


async def metrics(request: web.Request) -> web.Response:
    try:
        await request.app[LAG].current()  # measured in a thread, or the cached answer
    except LagUnavailable:
        pass  # eye_lag_up says so
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


async def sampling(app: web.Application) -> AsyncIterator[None]:
    """The live history's sampler, for the life of the server (after the pool: it counts
    rejections in the database)."""
    settings = app[SETTINGS]
    task = asyncio.create_task(sampler.run(app[LAG], app[POOL], app[HISTORY],
                                           settings.live_sample_interval))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[REGISTRY] = api_registry(lag_monitor(app))
    app[HISTORY] = History(settings.live_history, settings.live_sample_interval)
    app.cleanup_ctx.append(sampling)
    app.router.add_get("/metrics", metrics)
