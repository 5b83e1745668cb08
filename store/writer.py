"""Batched, idempotent writes: one transaction per batch, COPY in, redeliveries ignored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

import psycopg
from psycopg import AsyncConnection

from store import notify
from store.errors import RowsRejected, StoreUnavailable
from store.partitions import DEFAULT, Window, ensure_months, in_window, month_of
from store.rows import Batch, ErrorRow, EventRow

# The reason code of an event whose id was stored before from another message; it belongs to
# the closed set in validators.Reason (a test keeps the two equal).
DUPLICATE_EVENT = "duplicate_event"

_EVENT_COLUMNS = ('id, session_id, category, name, data, "timestamp", application_id, '
                  "received_at, kafka_partition, kafka_offset")
_ERROR_COLUMNS = ('reason, detail, payload, headers, topic, "partition", "offset", received_at,'
                  " application_id, app_key_hash")
_SESSION_COLUMNS = ("session_id, application_id, first_seen, last_seen, duration_seconds, "
                    "event_count, pageviews, entry_page, exit_page, bounce, state")

# Events and sessions go in by binary COPY: no text escaping of every value (bytea states above
# all), 2-4x less time per row in the worker's process. Each column's type is named, in order.
# `data` is JSON text already: a jsonb field in binary is a version byte then that text, so it is
# sent as ready bytes (bytea's binary form is the bytes as they are).
_EVENT_TYPES = ["uuid", "text", "text", "text", "bytea", "timestamptz", "int8", "timestamptz",
                "int4", "int8", "bool"]
_SESSION_TYPES = ["text", "int8", "timestamptz", "timestamptz", "float8", "int4", "int4", "text",
                  "text", "bool", "bytea"]
_JSONB_VERSION = b"\x01"

# Staging tables live as long as the connection and empty themselves at each commit: COPY lands
# rows there, and one INSERT … SELECT moves them, deciding conflicts in the database.
_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS events_in (
    id uuid, session_id text, category text, name text, data jsonb, "timestamp" timestamptz,
    application_id bigint, received_at timestamptz, kafka_partition integer, kafka_offset bigint,
    client boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS errors_in (
    reason text, detail text, payload bytea, headers jsonb, topic text, "partition" integer,
    "offset" bigint, received_at timestamptz, application_id bigint, app_key_hash bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS sessions_in (
    session_id text, application_id bigint, first_seen timestamptz, last_seen timestamptz,
    duration_seconds double precision, event_count integer, pageviews integer, entry_page text,
    exit_page text, bounce boolean, state bytea
) ON COMMIT DELETE ROWS;
"""

# A snapshot never moves a session backwards: one written late by a worker that has since
# lost the partition is older than what its new owner wrote.
_UPSERT_SESSIONS = f"""
INSERT INTO sessions ({_SESSION_COLUMNS}) SELECT {_SESSION_COLUMNS} FROM sessions_in
ON CONFLICT (session_id) DO UPDATE SET
    application_id = EXCLUDED.application_id, first_seen = EXCLUDED.first_seen,
    last_seen = EXCLUDED.last_seen, duration_seconds = EXCLUDED.duration_seconds,
    event_count = EXCLUDED.event_count, pageviews = EXCLUDED.pageviews,
    entry_page = EXCLUDED.entry_page, exit_page = EXCLUDED.exit_page, bounce = EXCLUDED.bounce,
    state = EXCLUDED.state, updated_at = now()
WHERE sessions.event_count <= EXCLUDED.event_count
"""


# SQLSTATE classes of a refusal caused by the rows themselves: data exceptions, constraint
# violations, limits such as a value too large to index. Storing such a batch again fails
# again, so its rows become `sink_failed` errors. Any other failure (a lost or confused
# connection, a missing staging table, a server fault) says nothing against the rows: the batch
# is kept and retried on a new connection, as when the database is away.
_ROW_FAULTS = frozenset({"22", "23", "54"})


def _about_the_rows(exc: psycopg.Error) -> bool:
    # A DataError without a SQLSTATE is psycopg refusing a value before sending it (a NUL in
    # a text field): about the rows as surely as the server's class 22.
    return (exc.sqlstate is not None and exc.sqlstate[:2] in _ROW_FAULTS) or (
        exc.sqlstate is None and isinstance(exc, psycopg.DataError))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Writer:
    """Writes batches over one connection of its own; used by one task at a time.

    It makes the partitions of the months within `window` that its batches meet; rows of other
    months go to the default partition, so no timestamp makes a table far from today.
    """

    def __init__(self, dsn: str, window: Window = Window(),
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._dsn = dsn
        self._window = window
        self._clock = clock
        self._conn: AsyncConnection | None = None
        # Months known to have a partition. Retention may drop one behind the writer's back;
        # a row that then lands in the default partition makes the writer forget the month.
        self._months: set[date] = set()

    async def write(self, batch: Batch) -> list[ErrorRow]:
        """Store `batch` in one transaction; return the duplicate-event errors it added.

        Raises RowsRejected when the database refuses the rows themselves, and StoreUnavailable
        for any other failure (retry the same batch later).
        """
        try:
            return await self._write(batch)
        except (psycopg.Error, OSError) as exc:
            why = f"{type(exc).__name__}: {str(exc).strip()}"
            if isinstance(exc, psycopg.Error) and _about_the_rows(exc):
                raise RowsRejected(why) from exc
            await self._drop_connection()
            raise StoreUnavailable(why) from exc

    async def _write(self, batch: Batch) -> list[ErrorRow]:
        conn = await self._connection()
        months = in_window(self._window, self._clock(),
                           (e.timestamp for e in batch.events)) - self._months
        if months:
            await ensure_months(conn, months)
            self._months |= months
        async with conn.transaction():
            if batch.sessions:
                async with conn.cursor().copy(
                        f"COPY sessions_in ({_SESSION_COLUMNS}) FROM STDIN (FORMAT BINARY)") as cp:
                    cp.set_types(_SESSION_TYPES)
                    for s in batch.sessions.values():
                        await cp.write_row((s.session_id, s.application_id, s.first_seen,
                                            s.last_seen, s.duration_seconds, s.event_count,
                                            s.pageviews, s.entry_page, s.exit_page, s.bounce,
                                            s.state))
                await conn.execute(_UPSERT_SESSIONS)
            # The events after the sessions: their insert updates the rollups, whose rows every
            # worker's batch of the same hour updates too, and a row stays locked until commit.
            duplicates = await self._insert_events(conn, batch.events)
            await self._insert_errors(conn, batch.errors + duplicates)
            for i in batch.incidents:
                await conn.execute("INSERT INTO incidents (kind, detail, started_at, ended_at, "
                                   "attempts) VALUES (%s, %s, %s, %s, %s)",
                                   (i.kind, i.detail, i.started_at, i.ended_at, i.attempts))
            # Delivered at commit only: subscribers never see rows that may roll back.
            await notify.announce(conn, batch.events, batch.errors + duplicates)
        return duplicates

    async def _insert_events(self, conn: AsyncConnection, events: list[EventRow]
                             ) -> list[ErrorRow]:
        if not events:
            return []
        async with conn.cursor().copy(
                f"COPY events_in ({_EVENT_COLUMNS}, client) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(_EVENT_TYPES)
            for e in events:
                s = e.source
                await cp.write_row((e.id, e.session_id, e.category, e.name,
                                    _JSONB_VERSION + e.data.encode(), e.timestamp,
                                    e.application_id, s.received_at, s.partition, s.offset,
                                    e.client_id))
        duplicates = await self._claim_client_ids(conn, events)
        cur = await conn.execute(f"INSERT INTO events ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS}"
                                 " FROM events_in ON CONFLICT DO NOTHING"
                                 f" RETURNING id, \"timestamp\", tableoid = '{DEFAULT}'::regclass")
        inserted = set()
        for id_, ts, in_default in await cur.fetchall():
            inserted.add(id_)
            if in_default:
                # Expected outside the window; inside it, the month was dropped since the
                # writer made it, and the next batch that meets it makes it again.
                self._months.discard(month_of(ts.astimezone(UTC)))
        if len(inserted) + len(duplicates) == len(events):
            return duplicates
        # Rows that were not inserted exist already: read again from the same place they are
        # redeliveries, and leave no trace; from anywhere else they are duplicates, and each
        # such message still needs its row, in `errors`.
        claimed_elsewhere = {id(e) for e in duplicates}
        missing = [e for e in events if e.id not in inserted and id(e) not in claimed_elsewhere]
        cur = await conn.execute(
            "SELECT id, kafka_partition, kafka_offset FROM events WHERE id = ANY(%s)",
            ([e.id for e in missing],))
        stored: dict[UUID, set[tuple[int, int]]] = {}
        for id_, p, o in await cur.fetchall():
            stored.setdefault(id_, set()).add((p, o))
        return [ErrorRow(DUPLICATE_EVENT, f"event_id {e.id}: already stored from another message",
                         e.application_id, e.source)
                for e in missing
                if (e.source.partition, e.source.offset) not in stored.get(e.id, ())
                ] + duplicates

    async def _claim_client_ids(self, conn: AsyncConnection, events: list[EventRow]
                                ) -> list[ErrorRow]:
        """Record where each client event id was first read; an id first read elsewhere makes
        its event a duplicate, taken out of the rows to insert. The worker checked the ids
        before; this catches what it could not know (another worker's batch in flight)."""
        if not any(e.client_id for e in events):
            return []
        await conn.execute("INSERT INTO event_ids (id, kafka_partition, kafka_offset) "
                           "SELECT DISTINCT ON (id) id, kafka_partition, kafka_offset "
                           "FROM events_in WHERE client ORDER BY id, kafka_partition, "
                           "kafka_offset ON CONFLICT (id) DO NOTHING")
        cur = await conn.execute(
            "DELETE FROM events_in i USING event_ids e WHERE i.client AND e.id = i.id AND "
            "(e.kafka_partition, e.kafka_offset) <> (i.kafka_partition, i.kafka_offset) "
            "RETURNING i.kafka_partition, i.kafka_offset, e.kafka_partition, e.kafka_offset")
        first = {(p, o): (fp, fo) for p, o, fp, fo in await cur.fetchall()}
        return [ErrorRow(DUPLICATE_EVENT, f"event_id {e.id}: already read at partition:offset "
                         f"{first[(e.source.partition, e.source.offset)][0]}:"
                         f"{first[(e.source.partition, e.source.offset)][1]}",
                         e.application_id, e.source)
                for e in events if (e.source.partition, e.source.offset) in first]

    async def _insert_errors(self, conn: AsyncConnection, errors: list[ErrorRow]) -> None:
        if not errors:
            return
        async with conn.cursor().copy(f"COPY errors_in ({_ERROR_COLUMNS}) FROM STDIN") as cp:
            for r in errors:
                s = r.source
                await cp.write_row((r.reason, r.detail, s.payload, s.headers, s.topic,
                                    s.partition, s.offset, s.received_at, r.application_id,
                                    s.app_key_hash))
        await conn.execute(f"INSERT INTO errors ({_ERROR_COLUMNS}) SELECT {_ERROR_COLUMNS}"
                           " FROM errors_in ON CONFLICT DO NOTHING")

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await AsyncConnection.connect(self._dsn, autocommit=True,
                                                       connect_timeout=5)
            await self._conn.execute(_STAGING)
        return self._conn

    async def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            except Exception:  # a broken connection may fail to close; it is gone either way
                pass
            self._conn = None

    async def close(self) -> None:
        await self._drop_connection()
