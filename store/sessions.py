"""Deleting a session: its events and its row, in one transaction (for deletion requests)."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import DataError

from store.db import Connections
from store.errors import ValueRejected


@dataclass(frozen=True, slots=True)
class Deleted:
    events: int
    session: bool


async def delete(pool: Connections, session_id: str, *, timeout_ms: int) -> Deleted:
    try:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT set_config('statement_timeout', %s, true)",
                               (str(timeout_ms),))
            events = await conn.execute("DELETE FROM events WHERE session_id = %s", (session_id,))
            session = await conn.execute("DELETE FROM sessions WHERE session_id = %s",
                                         (session_id,))
            return Deleted(events=events.rowcount, session=session.rowcount > 0)
    except DataError as exc:
        raise ValueRejected(f"the database cannot take a value given: {exc}") from exc
