"""GET /metrics on the API server, for Prometheus; no token needed, as scrapers expect."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

from eye.web import SETTINGS
from monitor.lag import LagMonitor, LagUnavailable
from monitor.metrics import api_registry

LAG = web.AppKey("lag_monitor", LagMonitor)
REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)


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


def add_routes(app: web.Application) -> None:
    app[REGISTRY] = api_registry(lag_monitor(app))
    app.router.add_get("/metrics", metrics)
