"""Read what the worker stored, straight from PostgreSQL, waiting for its batches."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg


async def wait_rows(dsn: str, sql: str, count: int, params: tuple[Any, ...] = (),
                    timeout: float = 30.0) -> list[tuple[Any, ...]]:
    """The rows of `sql` once there are `count` of them; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            rows = await (await conn.execute(sql, params)).fetchall()
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, f"{len(rows)} rows, expected {count}: {rows}"
            return rows
        await asyncio.sleep(0.2)
