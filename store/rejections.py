"""Stored rejections read back for `eye replay` (streams/replay.py), and the move of those that
now pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg import Connection

from store.partitions import Window, ensure_months_sync, in_window
from store.rows import EventRow


@dataclass(frozen=True, slots=True)
class Rejected:
    id: int
    payload: bytes | None
    topic: str
    partition: int
    offset: int
    received_at: datetime
    application_id: int | None
    app_key_hash: bytes | None


def rejected(conn: Connection, reason: str, since: datetime | None, after_id: int,
             limit: int) -> list[Rejected]:
    cur = conn.execute(
        'SELECT id, payload, topic, "partition", "offset", received_at, application_id,'
        " app_key_hash FROM errors WHERE reason = %s AND id > %s"
        " AND (%s::timestamptz IS NULL OR received_at >= %s) ORDER BY id LIMIT %s",
        (reason, after_id, since, since, limit))
    return [Rejected(*r) for r in cur]


def active_apps(conn: Connection) -> tuple[set[int], dict[bytes, int]]:
    """Ids of the unrevoked applications, and their key hashes."""
    rows = conn.execute("SELECT id, key_hash FROM applications WHERE revoked_at IS NULL")
    by_hash = {bytes(h): i for i, h in rows}
    return set(by_hash.values()), by_hash


def move(conn: Connection, moves: list[tuple[int, EventRow]], window: Window = Window()) -> int:
    """Store the events and delete their rejections in one transaction; return events added.

    The event keeps the id the worker would have given it, so a move done twice (or racing a
    redelivery) adds nothing twice. As in the writer, only months within `window` get a
    partition; the others' events go to the default partition.
    """
    if not moves:
        return 0
    ensure_months_sync(conn, in_window(window, datetime.now(UTC),
                                       (e.timestamp for _, e in moves)))
    events = [e for _, e in moves]
    with conn.transaction():
        # One statement for all the events: the rollups' trigger then takes their keys in one
        # ordered pass, as the worker's does, so the two cannot deadlock.
        cur = conn.execute(
            'INSERT INTO events (id, session_id, category, name, data, "timestamp",'
            " application_id, received_at, kafka_partition, kafka_offset)"
            " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::jsonb[],"
            " %s::timestamptz[], %s::bigint[], %s::timestamptz[], %s::integer[], %s::bigint[])"
            " ON CONFLICT DO NOTHING",
            ([e.id for e in events], [e.session_id for e in events],
             [e.category for e in events], [e.name for e in events],
             [e.data for e in events], [e.timestamp for e in events],
             [e.application_id for e in events], [e.source.received_at for e in events],
             [e.source.partition for e in events], [e.source.offset for e in events]))
        added = cur.rowcount
        conn.execute("DELETE FROM errors WHERE id = ANY(%s)", ([i for i, _ in moves],))
    return added
