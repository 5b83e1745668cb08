"""What the worker recalls from the database for a batch: where client event ids were first
read, and the last stored state of sessions. One query each per batch, on a connection of its
own; while the database cannot answer, it waits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, OperationalError

from eye import backoff

log = logging.getLogger(__name__)


_FIRST_READS = "SELECT id, kafka_partition, kafka_offset FROM event_ids WHERE id = ANY(%s)"
_STATES = "SELECT session_id, state FROM sessions WHERE session_id = ANY(%s) AND state IS NOT NULL"

# Told of an outage waited out: when it began and how many attempts failed.
Outage = Callable[[datetime, int], Awaitable[None]]


class Recall:
    def __init__(self, dsn: str, *, on_outage: Outage | None = None) -> None:
        self._dsn = dsn
        self._on_outage = on_outage
        self._conn: AsyncConnection | None = None

    async def both(self, ids: list[UUID], session_ids: list[str]
                   ) -> tuple[dict[UUID, tuple[int, int]], dict[str, bytes]]:
        """`first_reads` and `session_states` in one round trip."""
        if not ids or not session_ids:
            return await self.first_reads(ids), await self.session_states(session_ids)
        reads, states = await self._fetch_many([(_FIRST_READS, ids), (_STATES, session_ids)])
        return {i: (p, o) for i, p, o in reads}, {s: bytes(st) for s, st in states}

    async def first_reads(self, ids: list[UUID]) -> dict[UUID, tuple[int, int]]:
        """(partition, offset) where each of these client event ids was first read, for those
        seen within the dedup window."""
        if not ids:
            return {}
        rows = await self._fetch(_FIRST_READS, ids)
        return {i: (p, o) for i, p, o in rows}

    async def session_states(self, session_ids: list[str]) -> dict[str, bytes]:
        """The worker's state of each session as last stored."""
        if not session_ids:
            return {}
        rows = await self._fetch(_STATES, session_ids)
        return {s: bytes(state) for s, state in rows}

    async def _fetch(self, query: str, values: list[Any]) -> list[tuple[Any, ...]]:
        [rows] = await self._fetch_many([(query, values)])
        return rows

    async def _fetch_many(self, queries: list[tuple[str, list[Any]]]
                          ) -> list[list[tuple[Any, ...]]]:
        wait, since, attempts = backoff.delays(0.1, 10.0), datetime.now(UTC), 0
        while True:
            try:
                conn = await self._connection()
                async with conn.pipeline():
                    curs = [await conn.execute(q, (values,)) for q, values in queries]
                rows = [await cur.fetchall() for cur in curs]
                if attempts and self._on_outage is not None:
                    await self._on_outage(since, attempts)
                return rows
            except OperationalError as exc:
                attempts += 1
                delay = next(wait)
                log.warning("cannot recall stored state (%s); retrying in %.1fs", exc, delay)
                await self.close()
                await asyncio.sleep(delay)
            except Exception:
                await self.close()  # in a state we do not know: the next call starts afresh
                raise

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self.close()
            self._conn = await AsyncConnection.connect(self._dsn, autocommit=True,
                                                       connect_timeout=5)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # a broken connection may fail to close; it is gone either way
                pass
