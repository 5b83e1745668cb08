"""The writer's announcement of committed rows: compact ranges, under NOTIFY's limit, sent at
commit only, once per batch; and the reads that fetch the announced rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import psycopg

from store import notify
from store.rows import Batch, ErrorRow, EventRow, Source
from store.writer import Writer

NOW = datetime.now(UTC)


def event(partition: int, offset: int, session: str = "s") -> EventRow:
    return EventRow(uuid4(), session, "page interaction", "pageview", '{"host": "h", "path": "/"}',
                    NOW, None, Source("t", partition, offset, b"{}", "{}", NOW))


def error(partition: int, offset: int) -> ErrorRow:
    return ErrorRow("malformed_json", "not JSON", None,
                    Source("t", partition, offset, b"{x", "{}", NOW))


def test_a_batch_is_named_by_offset_ranges() -> None:
    w = notify.written([event(0, 5), event(0, 3), event(2, 9)], [error(0, 4)])
    assert w.events == {0: (3, 5), 2: (9, 9)}
    assert w.errors == {("t", 0): (4, 4)}
    [text] = notify.payloads(w)
    assert notify.parse(text) == w


def test_many_partitions_are_split_under_the_notify_limit() -> None:
    w = notify.written([event(p, 10**12 + p) for p in range(2000)],
                       [error(p, 10**12) for p in range(500)])
    texts = list(notify.payloads(w))
    assert len(texts) > 1
    assert all(len(t.encode()) <= notify.MAX_PAYLOAD for t in texts)
    merged = notify.Written()
    for t in texts:
        part = notify.parse(t)
        merged.events.update(part.events)
        merged.errors.update(part.errors)
    assert merged == w


async def _notifications(conn: psycopg.AsyncConnection, wait: float) -> list[str]:
    got: list[str] = []
    try:
        async with asyncio.timeout(wait):
            async for n in conn.notifies():
                got.append(n.payload)
    except TimeoutError:
        pass
    return got


async def test_the_writer_announces_each_batch_once_at_commit(database: str) -> None:
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as listener:
        await notify.listen(listener)
        writer = Writer(database)
        events = [event(1, o, "a") for o in (7, 8, 10)] + [event(0, 3, "b")]
        await writer.write(Batch(events, [error(1, 9)], {}, []))
        await writer.close()
        [text] = await _notifications(listener, 1.0)
        w = notify.parse(text)
        assert w.events == {0: (3, 3), 1: (7, 10)} and w.errors == {("t", 1): (9, 9)}
        rows = await notify.events_in(listener, w.events)
        assert [(r["kafka_partition"], r["kafka_offset"]) for r in rows] == \
            [(0, 3), (1, 7), (1, 8), (1, 10)]
        [rejected] = await notify.errors_in(listener, w.errors)
        assert (rejected["reason"], rejected["offset"]) == ("malformed_json", 9)
