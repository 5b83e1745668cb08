"""The HTTP server: one aiohttp application that each area adds its routes to."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

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


def create_server(settings: Settings) -> web.Application:
    from graphql_api.http import add_routes as add_graphql

    app = web.Application()
    app[SETTINGS] = settings

    async def pool(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await open_pool(settings.dsn, max_size=settings.api_pool_size)
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(pool)
    app.router.add_get("/healthz", healthz)
    add_graphql(app)
    return app
