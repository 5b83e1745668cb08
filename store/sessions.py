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


async def delete(pool: Connections, session_id: str) -> Deleted:
    """Delete the session's events and row, under the connection's own statement timeout."""
    try:
        async with pool.connection() as conn, conn.transaction():
            # Counted from RETURNING, not the cursor's rowcount, which is -1 when the server
            # sends no count: an unknown id must read as "0 events", never as a negative number.
            cur = await conn.execute("WITH d AS (DELETE FROM events WHERE session_id = %s "
                                     "RETURNING 1) SELECT count(*) FROM d", (session_id,))
            events = await cur.fetchone()
            cur = await conn.execute("WITH d AS (DELETE FROM sessions WHERE session_id = %s "
                                     "RETURNING 1) SELECT count(*) FROM d", (session_id,))
            session = await cur.fetchone()
            return Deleted(events=int(events[0]) if events else 0,
                           session=bool(session and session[0]))
    except DataError as exc:
        raise ValueRejected(f"the database cannot take a value given: {exc}") from exc
