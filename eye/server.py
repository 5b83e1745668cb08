"""The HTTP server: one aiohttp application that each area adds its routes to."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from base import memory
from base.settings import Settings
from base.web import SETTINGS
from eye import oversize
from eye.guards import body_deadline, capped
from store.db import POOL, open_pool


async def schemas(_request: web.Request) -> web.Response:
    """Every registered event type with its version and the JSON Schema of its `data`."""
    from validators import registry

    return web.json_response({"event_types": registry.schemas()})


def api_connection_settings(settings: Settings) -> dict[str, str]:
    """PostgreSQL settings of the API's connections: the statement timeout, no JIT compiling
    (100-200 ms whenever a plan looks big; these statements are short), no parallel workers
    (they would give each aggregate two more processes)."""
    return {"statement_timeout": str(settings.api_statement_timeout_ms), "jit": "off",
            "max_parallel_workers_per_gather": str(settings.api_parallel_workers)}


def create_server(settings: Settings) -> web.Application:
    from collector import add_routes as add_collector
    from graphql_api.http import add_routes as add_graphql
    from monitor.http import add_routes as add_metrics
    from pages import add_routes as add_pages

    app = web.Application(
        middlewares=[oversize.middleware(settings), body_deadline(settings.api_body_timeout)],
        # aiohttp closes a connection whose request line and headers have not all arrived
        # this long after it opened or after its previous response (eye/guards.py).
        handler_args={**oversize.handler_args(),
                      "keepalive_timeout": settings.api_header_timeout})
    app[SETTINGS] = settings

    async def pool(app: web.Application) -> AsyncIterator[None]:
        # Every statement of the API runs under these; set once per connection, they cost
        # no transaction and no extra statement per query (store/queries.py).
        app[POOL] = await open_pool(settings.dsn, max_size=settings.api_pool_size,
                                    server_settings=api_connection_settings(settings))
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(pool)
    app.router.add_get("/schemas", schemas)
    add_graphql(app)
    add_collector(app)
    add_metrics(app)
    add_pages(app)
    return app


@asynccontextmanager
async def listening(settings: Settings, app: web.Application | None = None
                    ) -> AsyncIterator[asyncio.AbstractServer]:
    """The server listening on EYE_API_HOST:EYE_API_PORT (port 0: any free one), at most
    EYE_API_MAX_CONNECTIONS connections at a time."""
    runner = web.AppRunner(app or create_server(settings), access_log=None)
    await runner.setup()
    assert runner.server is not None
    try:
        server = await asyncio.get_running_loop().create_server(
            capped(runner.server, settings.api_max_connections), settings.api_host,
            settings.api_port, reuse_address=True)
        async with server:
            yield server
    finally:
        await runner.cleanup()


async def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM, then finish the requests in flight and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with listening(settings):
        memory.settle()
        await stop.wait()
