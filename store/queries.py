"""Reads for the API: each question the data team asks is one function and one statement."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

_EVENT_FIELDS = 'id, session_id, category, name, data, "timestamp", application_id, received_at'


async def session_events(pool: AsyncConnectionPool, session_id: str) -> list[dict[str, Any]]:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f'SELECT {_EVENT_FIELDS} FROM events WHERE session_id = %s '
                          f'ORDER BY "timestamp", id', (session_id,))
        return await cur.fetchall()


async def session(pool: AsyncConnectionPool, session_id: str) -> dict[str, Any] | None:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM sessions WHERE session_id = %s", (session_id,))
        return await cur.fetchone()


async def ping(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
