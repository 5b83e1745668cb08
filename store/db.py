"""Connections for the commands (one each) and the HTTP server (a pool)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from psycopg import AsyncConnection, Connection
from psycopg_pool import AsyncConnectionPool


class Connections(Protocol):
    """Where reads take a connection from: the pool, or a request's share of it."""

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> AsyncConnectionPool:
    pool = AsyncConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False,
                               kwargs={"autocommit": True})
    await pool.open(wait=False)
    return pool


def connect(dsn: str) -> Connection:
    return Connection.connect(dsn, autocommit=True)
