"""Connections for the commands (one each) and the HTTP server (a pool).

The other packages name a connection or the pool by the names given here, never by psycopg's:
store/ is the one package that imports psycopg and psycopg_pool."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from aiohttp import web
from psycopg import AsyncConnection, Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

__all__ = ["POOL", "AsyncConnection", "AsyncConnectionPool", "Connection", "Connections",
           "connect", "connect_async", "open_pool"]

# The API server's pool in its aiohttp application state, for every area's handlers.
POOL = web.AppKey("pool", AsyncConnectionPool)


class Connections(Protocol):
    """Where reads take a connection from: the pool, or a request's share of it."""

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4,
                    server_settings: dict[str, str] | None = None) -> AsyncConnectionPool:
    """`server_settings`: PostgreSQL settings of every connection, after the DSN's `options`."""
    kwargs: dict[str, object] = {"autocommit": True}
    if server_settings:
        given = conninfo_to_dict(dsn).get("options") or ""
        kwargs["options"] = " ".join([str(given), *(f"-c {k}={v}" for k, v in
                                                    server_settings.items())]).strip()
    pool = AsyncConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False,
                               kwargs=kwargs)
    await pool.open(wait=False)
    return pool


def connect(dsn: str) -> Connection:
    return Connection.connect(dsn, autocommit=True)


async def connect_async(dsn: str, **kwargs: Any) -> AsyncConnection:
    """A connection of its own, outside any pool (LISTEN, a worker's one-off reads)."""
    return await AsyncConnection.connect(dsn, **kwargs)
