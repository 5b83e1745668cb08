"""Connections for the commands (one each) and the HTTP server (a pool)."""

from __future__ import annotations

from psycopg import Connection
from psycopg_pool import AsyncConnectionPool


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> AsyncConnectionPool:
    pool = AsyncConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False,
                               kwargs={"autocommit": True})
    await pool.open(wait=False)
    return pool


def connect(dsn: str) -> Connection:
    return Connection.connect(dsn, autocommit=True)
