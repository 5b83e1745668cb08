"""Committed rows, announced: the writer's NOTIFY per batch, and the reads that follow it.

Inside a batch's transaction the writer calls `announce`, which sends `pg_notify` on CHANNEL
with where the batch's rows were read: per Kafka partition the lowest and highest offset of its
events, and per (topic, partition) those of its rejections. PostgreSQL delivers a notification
only when its transaction commits, and in commit order, so a listener learns of rows it can
read, never of rows that may still roll back. The payload names ranges rather than rows: a
batch of 5,000 events is one small message, well under NOTIFY's 8,000-byte limit (ranges of
more partitions than fit are split over several notifications, still one statement).

A range may cover rows of other batches (a rejection between two events, a redelivered
message already stored): readers fetch what is in it and drop what they delivered before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from store.rows import ErrorRow, EventRow

CHANNEL = "eye_rows"
MAX_PAYLOAD = 7900  # bytes; PostgreSQL refuses a payload of 8,000 or more

_EVENT_FIELDS = ('id, session_id, category, name, data, "timestamp", application_id, '
                 "received_at, kafka_partition, kafka_offset")
_ERROR_FIELDS = ('id, reason, detail, payload, headers, topic, "partition", "offset", '
                 "received_at, application_id")


@dataclass(slots=True)
class Written:
    """What one notification announces: offset ranges of stored events and of rejections."""

    events: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition -> (lo, hi)
    errors: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


def _widen(ranges: dict[Any, tuple[int, int]], key: Any, offset: int) -> None:
    lo, hi = ranges.get(key, (offset, offset))
    ranges[key] = (min(lo, offset), max(hi, offset))


def written(events: Iterable[EventRow], errors: Iterable[ErrorRow]) -> Written:
    w = Written()
    for e in events:
        _widen(w.events, e.source.partition, e.source.offset)
    for r in errors:
        _widen(w.errors, (r.source.topic, r.source.partition), r.source.offset)
    return w


def payloads(w: Written) -> Iterator[str]:
    """`w` as JSON texts of at most MAX_PAYLOAD bytes each."""
    entries = ([("e", [p, lo, hi]) for p, (lo, hi) in sorted(w.events.items())]
               + [("r", [t, p, lo, hi]) for (t, p), (lo, hi) in sorted(w.errors.items())])
    chunk: dict[str, list[list[Any]]] = {"e": [], "r": []}
    size = 16
    for kind, entry in entries:
        n = len(orjson.dumps(entry)) + 1
        if size + n > MAX_PAYLOAD:
            yield orjson.dumps(chunk).decode()
            chunk, size = {"e": [], "r": []}, 16
        chunk[kind].append(entry)
        size += n
    if chunk["e"] or chunk["r"]:
        yield orjson.dumps(chunk).decode()


def parse(payload: str) -> Written:
    body = orjson.loads(payload)
    return Written(events={int(p): (int(lo), int(hi)) for p, lo, hi in body.get("e", ())},
                   errors={(str(t), int(p)): (int(lo), int(hi))
                           for t, p, lo, hi in body.get("r", ())})


async def announce(conn: AsyncConnection, events: list[EventRow], errors: list[ErrorRow]
                   ) -> None:
    """Notify listeners of these rows when the open transaction commits."""
    texts = list(payloads(written(events, errors)))
    if texts:
        await conn.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p",
                           (CHANNEL, texts))


async def listen(conn: AsyncConnection) -> None:
    await conn.execute(f"LISTEN {CHANNEL}")


async def events_in(conn: AsyncConnection, ranges: dict[int, tuple[int, int]]
                    ) -> list[dict[str, Any]]:
    """Stored events read at these (partition -> lowest, highest offset), in read order."""
    if not ranges:
        return []
    parts = sorted(ranges)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT {_EVENT_FIELDS} FROM events e JOIN unnest(%s::int[], %s::bigint[], "
            "%s::bigint[]) AS r(p, lo, hi) ON e.kafka_partition = r.p "
            "AND e.kafka_offset BETWEEN r.lo AND r.hi ORDER BY kafka_partition, kafka_offset",
            (parts, [ranges[p][0] for p in parts], [ranges[p][1] for p in parts]))
        return await cur.fetchall()


async def errors_in(conn: AsyncConnection, ranges: dict[tuple[str, int], tuple[int, int]]
                    ) -> list[dict[str, Any]]:
    """Rejections read at these ((topic, partition) -> lowest, highest offset), in read order."""
    if not ranges:
        return []
    keys = sorted(ranges)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT {_ERROR_FIELDS} FROM errors e JOIN unnest(%s::text[], %s::int[], "
            "%s::bigint[], %s::bigint[]) AS r(t, p, lo, hi) ON e.topic = r.t "
            'AND e."partition" = r.p AND e."offset" BETWEEN r.lo AND r.hi '
            'ORDER BY e.topic, e."partition", e."offset"',
            ([k[0] for k in keys], [k[1] for k in keys], [ranges[k][0] for k in keys],
             [ranges[k][1] for k in keys]))
        return await cur.fetchall()
