"""GET /metrics (for Prometheus) and /healthz on the API server; no token needed, as scrapers
and probes expect."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

from kafka_edge.lag import LAG, LagUnavailable, lag_monitor
from monitor.metrics import api_registry
from store import queries
from store.db import POOL

log = logging.getLogger(__name__)

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)


async def metrics(request: web.Request) -> web.Response:
    try:
        await request.app[LAG].current()  # measured in a thread, or the cached answer
    except LagUnavailable:
        pass  # eye_lag_up says so
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


async def healthz(request: web.Request) -> web.Response:
    try:
        # Within the probes' 4 s (docker-compose.yml), not the pool's 30 s wait.
        async with asyncio.timeout(3):
            await queries.ping(request.app[POOL])
    except Exception as exc:  # any failure to reach the database means "not healthy"
        # The reason goes to the log only: it can name hosts, users and databases.
        log.warning("healthz: database unreachable: %s", exc or type(exc).__name__)
        return web.json_response({"status": "down"}, status=503)
    return web.json_response({"status": "ok"})


def add_routes(app: web.Application) -> None:
    app[REGISTRY] = api_registry(lag_monitor(app))
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
