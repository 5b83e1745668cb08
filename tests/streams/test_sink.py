"""The batching sink: size and time bounds, acks only after a stored batch, retry on failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

from store.rows import ErrorRow, EventRow
from streams.sink import BatchSink

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def event_row() -> EventRow:
    return EventRow(uuid4(), "s1", "page interaction", "pageview", "{}", NOW, None, NOW)


def error_row(offset: int) -> ErrorRow:
    return ErrorRow("malformed_json", "x", b"{", "{}", "t", 0, offset, NOW, None)


class Message:
    def __init__(self) -> None:
        self.acked = False

    def ack(self) -> bool:
        self.acked = True
        return True


class MemoryWriter:
    """Keeps batches in memory; fails the first `fail` writes like an absent database would."""

    def __init__(self, fail: int = 0) -> None:
        self.batches: list[tuple[list[EventRow], list[ErrorRow]]] = []
        self.fail = fail

    async def write(self, events: list[EventRow], errors: list[ErrorRow]) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("database away")
        self.batches.append((list(events), list(errors)))


async def test_flushes_when_the_batch_is_full_and_acks_after_writing() -> None:
    writer = MemoryWriter()
    sink = BatchSink(writer, max_rows=3, max_wait=60)
    msgs = [Message() for _ in range(4)]
    await sink.add(event_row(), msgs[0])
    await sink.add(error_row(1), msgs[1])
    assert writer.batches == [] and not any(m.acked for m in msgs)
    await sink.add(event_row(), msgs[2])
    assert [(len(e), len(r)) for e, r in writer.batches] == [(2, 1)]
    assert [m.acked for m in msgs[:3]] == [True, True, True]
    await sink.add(event_row(), msgs[3])
    assert not msgs[3].acked and len(sink) == 1


async def test_is_due_after_max_wait() -> None:
    now = [100.0]
    sink = BatchSink(MemoryWriter(), max_rows=10, max_wait=0.5, clock=lambda: now[0])
    assert not sink.due()
    await sink.add(event_row(), Message())
    now[0] += 0.4
    assert not sink.due()
    now[0] += 0.2
    assert sink.due()
    await sink.flush()
    assert not sink.due()


async def test_keeps_the_batch_and_retries_until_stored() -> None:
    writer = MemoryWriter(fail=3)
    sink = BatchSink(writer, max_rows=1, max_wait=60, max_backoff=0.01)
    msg = Message()
    await asyncio.wait_for(sink.add(event_row(), msg), timeout=5)
    assert sink.failures == 3
    assert len(writer.batches) == 1 and msg.acked
