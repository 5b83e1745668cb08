"""A session's stored rows: read back for the worker to rebuild its state from, or deleted (its
events and its row, in one transaction) on a deletion request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, DataError

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


async def stored_session_events(conn: AsyncConnection, session_id: str
                                ) -> list[tuple[str, str, dict, datetime, int | None, int, int]]:
    """A session's stored events as (category, name, data, timestamp, application, partition,
    offset), in time order: what the worker rebuilds its state from after a replay."""
    cur = await conn.execute(
        'SELECT category, name, data, "timestamp", application_id, kafka_partition, kafka_offset'
        ' FROM events WHERE session_id = %s ORDER BY "timestamp", id', (session_id,))
    return list(await cur.fetchall())
