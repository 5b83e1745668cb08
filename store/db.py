"""Connections: the only place The Eye opens PostgreSQL connections."""

from __future__ import annotations

from psycopg import AsyncConnection, Connection
from psycopg_pool import AsyncConnectionPool


async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> AsyncConnectionPool:
    pool = AsyncConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False,
                               kwargs={"autocommit": True})
    await pool.open(wait=False)
    return pool


def connect(dsn: str) -> Connection:
    return Connection.connect(dsn, autocommit=True)


async def aconnect(dsn: str) -> AsyncConnection:
    return await AsyncConnection.connect(dsn, autocommit=True)
