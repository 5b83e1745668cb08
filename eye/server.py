"""The HTTP server: one aiohttp application that each area adds its routes to."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from eye import oversize
from eye.settings import Settings
from eye.web import POOL, SETTINGS
from store import queries
from store.db import open_pool


async def healthz(request: web.Request) -> web.Response:
    try:
        await queries.ping(request.app[POOL])
    except Exception as exc:  # any failure to reach the database means "not healthy"
        return web.json_response({"status": "down", "database": str(exc)}, status=503)
    return web.json_response({"status": "ok"})


async def schemas(_request: web.Request) -> web.Response:
    """Every registered event type with its version and the JSON Schema of its `data`."""
    from validators import registry

    return web.json_response({"event_types": registry.schemas()})


def create_server(settings: Settings) -> web.Application:
    from collector import add_routes as add_collector
    from graphql_api.http import add_routes as add_graphql
    from monitor.http import add_routes as add_metrics
    from pages import add_routes as add_pages

    app = web.Application(handler_args=oversize.handler_args())
    app.middlewares.append(oversize.middleware(settings))
    app[SETTINGS] = settings

    async def pool(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await open_pool(settings.dsn, max_size=settings.api_pool_size)
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(pool)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/schemas", schemas)
    add_graphql(app)
    add_collector(app)
    add_metrics(app)
    add_pages(app)
    return app
