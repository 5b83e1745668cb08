"""Batched, idempotent writes: one transaction per batch, COPY in, duplicates ignored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from psycopg import AsyncConnection

from store.partitions import ensure_months, month_of
from store.rows import ErrorRow, EventRow

_EVENT_COLUMNS = "id, session_id, category, name, data, timestamp, application_id, received_at"
_ERROR_COLUMNS = ('reason, detail, payload, headers, topic, "partition", "offset", received_at,'
                  " application_id")

# Staging tables live as long as the connection and empty themselves at each commit, so COPY
# can land rows that the INSERT … ON CONFLICT then filters.
_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS events_in (
    id uuid, session_id text, category text, name text, data jsonb, "timestamp" timestamptz,
    application_id bigint, received_at timestamptz) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS errors_in (
    reason text, detail text, payload bytea, headers jsonb, topic text, "partition" integer,
    "offset" bigint, received_at timestamptz, application_id bigint) ON COMMIT DELETE ROWS;
"""

# Session rows are recomputed from their events, so they agree with `events` by construction,
# whatever order or how many times the events arrived.
_UPSERT_SESSIONS = """
INSERT INTO sessions AS s (session_id, application_id, first_seen, last_seen, event_count,
                           pageviews, entry_page, exit_page, bounce, updated_at)
SELECT session_id,
       (array_agg(application_id ORDER BY "timestamp", id))[1],
       min("timestamp"), max("timestamp"), count(*),
       count(*) FILTER (WHERE name = 'pageview'),
       (array_agg(data->>'path' ORDER BY "timestamp", id) FILTER (WHERE name = 'pageview'))[1],
       (array_agg(data->>'path' ORDER BY "timestamp" DESC, id DESC)
            FILTER (WHERE name = 'pageview'))[1],
       count(*) FILTER (WHERE name = 'pageview') <= 1,
       now()
FROM events WHERE session_id = ANY(%s)
GROUP BY session_id
ON CONFLICT (session_id) DO UPDATE SET
    application_id = EXCLUDED.application_id, first_seen = EXCLUDED.first_seen,
    last_seen = EXCLUDED.last_seen, event_count = EXCLUDED.event_count,
    pageviews = EXCLUDED.pageviews, entry_page = EXCLUDED.entry_page,
    exit_page = EXCLUDED.exit_page, bounce = EXCLUDED.bounce, updated_at = now()
"""


class Writer:
    """Writes batches over one connection of its own; not shared between tasks."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: AsyncConnection | None = None
        self._months: set[date] = set()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await AsyncConnection.connect(self._dsn, autocommit=True)
            await self._conn.execute(_STAGING)
        return self._conn

    async def write(self, events: Sequence[EventRow], errors: Sequence[ErrorRow]) -> None:
        """Store one batch atomically. Rows already stored (same id) are left as they are."""
        conn = await self._connection()
        months = {month_of(e.timestamp) for e in events} - self._months
        if months:
            await ensure_months(conn, months)
            self._months |= months
        async with conn.transaction():
            if events:
                async with conn.cursor().copy(f"COPY events_in ({_EVENT_COLUMNS}) FROM STDIN") as cp:
                    for e in events:
                        await cp.write_row((e.id, e.session_id, e.category, e.name, e.data,
                                            e.timestamp, e.application_id, e.received_at))
                await conn.execute(f"INSERT INTO events ({_EVENT_COLUMNS}) "
                                   f"SELECT {_EVENT_COLUMNS} FROM events_in ON CONFLICT DO NOTHING")
                await conn.execute(_UPSERT_SESSIONS, (list({e.session_id for e in events}),))
            if errors:
                async with conn.cursor().copy(f"COPY errors_in ({_ERROR_COLUMNS}) FROM STDIN") as cp:
                    for r in errors:
                        await cp.write_row((r.reason, r.detail, r.payload, r.headers, r.topic,
                                            r.partition, r.offset, r.received_at, r.application_id))
                await conn.execute(f"INSERT INTO errors ({_ERROR_COLUMNS}) "
                                   f"SELECT {_ERROR_COLUMNS} FROM errors_in ON CONFLICT DO NOTHING")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
