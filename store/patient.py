"""A connection of its own for a worker's reads, that waits out a database which cannot answer.

While PostgreSQL is away no question can be answered: the caller waits (with backoff, on a new
connection each time) rather than judge events on no answer. OperationalError is psycopg's word
for a database that cannot answer now (unreachable, shutting down, a lock or statement timeout).
Any other failure is raised, the connection closed: it is in a state nobody knows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from psycopg import AsyncConnection, OperationalError

from base import backoff

log = logging.getLogger(__name__)

T = TypeVar("T")
# Told of an outage waited out: when it began and how many attempts failed.
Outage = Callable[[datetime, int], Awaitable[None]]


class PatientConnection:
    def __init__(self, dsn: str, *, what: str, on_outage: Outage | None = None) -> None:
        self._dsn = dsn
        self._what = what  # what the caller asks, for the log
        self._on_outage = on_outage
        self._conn: AsyncConnection | None = None

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        wait, since, attempts = backoff.delays(0.1, 10.0), datetime.now(UTC), 0
        while True:
            try:
                result = await work(await self._connection())
            except OperationalError as exc:
                attempts += 1
                delay = next(wait)
                log.warning("cannot %s (%s); retrying in %.1fs", self._what, exc, delay)
                await self.close()
                await asyncio.sleep(delay)
                continue
            except Exception:
                await self.close()
                raise
            if attempts and self._on_outage is not None:
                await self._on_outage(since, attempts)
            return result

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
            except Exception as exc:  # a broken connection may fail to close; it is gone anyway
                log.debug("closing a connection to %s: %s", self._what, exc)
