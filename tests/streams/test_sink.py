"""The batching sink: size and time bounds, acks only after a stored batch, retry on failure,
and no message released without its row."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
import pytest

from store.errors import RowsRejected, StoreUnavailable
from store.rows import Batch, ErrorRow, EventRow, Source
from store.writer import Writer
from streams.sink import BatchSink

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def src(offset: int = 0) -> Source:
    return Source("t", 0, offset, b"{}", "{}", NOW)


def event_row(offset: int = 0) -> EventRow:
    return EventRow(uuid4(), "s1", "page interaction", "pageview", "{}", NOW, None, src(offset))


def error_row(offset: int) -> ErrorRow:
    return ErrorRow("malformed_json", "x", None, src(offset))


class Message:
    def __init__(self) -> None:
        self.acked = False


async def release(messages: list[Message]) -> None:
    for m in messages:
        m.acked = True


class MemoryWriter:
    """Keeps batches in memory; can fail like an absent database, or refuse chosen rows."""

    def __init__(self, unavailable: int = 0, refuse_offsets: frozenset[int] = frozenset()) -> None:
        self.batches: list[Batch] = []
        self.unavailable = unavailable
        self.refuse = refuse_offsets

    async def write(self, batch: Batch) -> list[ErrorRow]:
        if self.unavailable:
            self.unavailable -= 1
            raise StoreUnavailable("database away")
        if any(e.source.offset in self.refuse for e in batch.events):
            raise RowsRejected("value out of range")
        self.batches.append(batch)
        return []


async def test_flushes_when_the_batch_is_full_and_acks_after_writing() -> None:
    writer = MemoryWriter()
    sink = BatchSink(writer, release=release, max_rows=3, max_wait=60)
    msgs = [Message() for _ in range(4)]
    await sink.add(event_row(), msgs[0])
    await sink.add(error_row(1), msgs[1])
    assert writer.batches == [] and not any(m.acked for m in msgs)
    await sink.add(event_row(), msgs[2])
    await sink.flush()
    assert [(len(b.events), len(b.errors)) for b in writer.batches] == [(2, 1)]
    assert [m.acked for m in msgs[:3]] == [True, True, True]
    await sink.add(event_row(), msgs[3])
    assert not msgs[3].acked and len(sink) == 1


async def test_is_due_after_max_wait() -> None:
    now = [100.0]
    sink = BatchSink(MemoryWriter(), release=release, max_rows=10, max_wait=0.5,
                     clock=lambda: now[0])
    assert not sink.due()
    await sink.add(event_row(), Message())
    now[0] += 0.4
    assert not sink.due()
    now[0] += 0.2
    assert sink.due()
    await sink.flush()
    assert not sink.due()


async def test_keeps_the_batch_through_an_outage_and_records_it_after() -> None:
    writer = MemoryWriter(unavailable=3)
    sink = BatchSink(writer, release=release, max_rows=1, max_wait=60, max_backoff=0.01)
    msg = Message()
    await sink.add(event_row(), msg)
    await asyncio.wait_for(sink.flush(), timeout=5)
    assert sink.failures == 3 and msg.acked
    stored, incident = writer.batches
    assert len(stored.events) == 1
    assert [i.kind for i in incident.incidents] == ["database_unavailable"]
    assert incident.incidents[0].attempts == 3


async def test_a_refused_row_becomes_a_sink_failed_error_and_the_rest_is_stored() -> None:
    writer = MemoryWriter(refuse_offsets=frozenset({1}))
    letters: list[ErrorRow] = []

    async def dead_letters(rows: list[ErrorRow]) -> None:
        letters.extend(rows)

    sink = BatchSink(writer, release=release, max_rows=3, max_wait=60,
                     dead_letters=dead_letters)
    msgs = [Message() for _ in range(3)]
    for i, m in enumerate(msgs):
        await sink.add(event_row(i), m)
    await sink.flush()
    stored = [e.source.offset for b in writer.batches for e in b.events]
    failed = [(r.reason, r.source.offset) for b in writer.batches for r in b.errors]
    assert sorted(stored) == [0, 2] and failed == [("sink_failed", 1)]
    assert [r.source.offset for r in letters] == [1]
    assert all(m.acked for m in msgs)


async def test_one_batch_is_written_while_the_next_fills() -> None:
    gate = asyncio.Event()
    writing: list[int] = []

    class SlowWriter(MemoryWriter):
        async def write(self, batch: Batch) -> list[ErrorRow]:
            writing.append(len(batch))
            await gate.wait()
            return await super().write(batch)

    writer = SlowWriter()
    sink = BatchSink(writer, release=release, max_rows=2, max_wait=60)
    msgs = [Message() for _ in range(4)]
    for m in msgs[:3]:
        await asyncio.wait_for(sink.add(event_row(), m), timeout=1)  # fills while 1st writes
    await asyncio.sleep(0)
    assert writing == [2] and not any(m.acked for m in msgs)
    blocked = asyncio.create_task(sink.add(event_row(), msgs[3]))
    await asyncio.sleep(0.05)
    assert not blocked.done()  # the full 2nd batch waits for the 1st: backpressure
    gate.set()
    await asyncio.wait_for(blocked, timeout=1)
    await sink.flush()
    assert [len(b) for b in writer.batches] == [2, 2] and all(m.acked for m in msgs)


async def test_an_unexpected_write_failure_keeps_the_batch_and_the_sink_goes_on() -> None:
    """A failure the writer does not name is no verdict on the rows: the batch is kept and
    written again, its messages released only then, and later batches flow as before."""

    class FaultyWriter(MemoryWriter):
        def __init__(self) -> None:
            super().__init__()
            self.faults = 2

        async def write(self, batch: Batch) -> list[ErrorRow]:
            if self.faults:
                self.faults -= 1
                raise RuntimeError("a fault of ours")
            return await super().write(batch)

    writer = FaultyWriter()
    sink = BatchSink(writer, release=release, max_rows=10, max_wait=60, max_backoff=0.01)
    first, second = Message(), Message()
    await sink.add(event_row(0), first)
    await asyncio.wait_for(sink.flush(), timeout=5)
    assert first.acked and [e.source.offset for e in writer.batches[0].events] == [0]
    await sink.add(event_row(1), second)
    await asyncio.wait_for(sink.flush(), timeout=5)
    assert second.acked
    assert [e.source.offset for b in writer.batches for e in b.events] == [0, 1]


async def test_a_failed_release_is_retried_with_the_next_batch() -> None:
    released: list[list[Message]] = []
    fail = [True]

    async def flaky_release(messages: list[Message]) -> None:
        if fail[0]:
            fail[0] = False
            raise RuntimeError("commit failed")
        released.append(messages)
        await release(messages)

    writer = MemoryWriter()
    sink = BatchSink(writer, release=flaky_release, max_rows=10, max_wait=60)
    first, second = Message(), Message()
    await sink.add(event_row(0), first)
    await sink.flush()  # stored, but not released: the failure is logged, not raised again
    assert not first.acked
    await sink.add(event_row(1), second)
    await sink.flush()
    assert released == [[first, second]] and first.acked and second.acked


async def test_a_caller_cancelled_while_it_waits_does_not_lose_the_batch() -> None:
    gate = asyncio.Event()

    class SlowWriter(MemoryWriter):
        async def write(self, batch: Batch) -> list[ErrorRow]:
            await gate.wait()
            return await super().write(batch)

    writer = SlowWriter()
    sink = BatchSink(writer, release=release, max_rows=10, max_wait=60)
    msg = Message()
    await sink.add(event_row(0), msg)
    waiting = asyncio.create_task(sink.flush())
    await asyncio.sleep(0.05)
    waiting.cancel()  # e.g. the timer that handed the batch off is stopped
    await asyncio.gather(waiting, return_exceptions=True)
    gate.set()
    await asyncio.wait_for(sink.flush(), timeout=5)
    assert msg.acked and [e.source.offset for b in writer.batches for e in b.events] == [0]
    later = Message()
    await sink.add(event_row(1), later)
    await asyncio.wait_for(sink.flush(), timeout=5)
    assert later.acked


# ---- against the real database: error rows PostgreSQL refuses are never dropped ----

def refuse_errors(conn: psycopg.Connection, condition: str | None) -> None:
    """Make inserts into `errors` of rows matching `condition` fail as a check violation (a
    refusal of the rows' data), or (None) stop doing so."""
    conn.execute("DROP TRIGGER IF EXISTS refuse ON errors")
    if condition is None:
        return
    conn.execute(f"""CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN IF {condition} THEN
                          RAISE EXCEPTION 'refused' USING ERRCODE = '23514'; END IF;
                        RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON errors "
                 "FOR EACH ROW EXECUTE FUNCTION refuse()")


async def test_error_rows_the_database_refuses_are_stored_in_a_form_it_takes(
        database: str) -> None:
    # A header name with a NUL byte makes JSON that jsonb refuses; text refuses a NUL in the
    # detail. Either refusal once dropped the row while its offset was committed.
    bad = ErrorRow("malformed_json", "quoted \x00 input", 7,
                   Source("t", 0, 1, b"\x00{raw", '{"k\\u0000": "v"}', NOW,
                          app_key_hash=b"hash"))
    good = ErrorRow("not_an_object", "value: expected a JSON object", None,
                    Source("t", 0, 2, b"[1]", '{"h": "v"}', NOW))
    writer = Writer(database)
    sink = BatchSink(writer, release=release, max_rows=10, max_wait=60, max_backoff=0.01)
    msgs = [Message() for _ in range(3)]
    await sink.add(event_row(0), msgs[0])
    await sink.add(bad, msgs[1])
    await sink.add(good, msgs[2])
    await asyncio.wait_for(sink.flush(), timeout=10)
    await writer.close()
    assert all(m.acked for m in msgs)
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
        got = conn.execute('SELECT "offset", reason, detail, payload, headers, application_id, '
                           'app_key_hash FROM errors ORDER BY "offset"').fetchall()
    (offset, reason, detail, payload, headers, app, key_hash), second = got
    assert (offset, reason, payload, headers, app, key_hash) == \
        (1, "sink_failed", b"\x00{raw", {}, 7, b"hash")
    assert detail.startswith("malformed_json: quoted \\x00 input") and "\x00" not in detail
    assert second[:3] == (2, "not_an_object", "value: expected a JSON object")


async def test_when_even_the_plainest_error_row_is_refused_the_sink_stalls_and_says_so(
        database: str, caplog: pytest.LogCaptureFixture) -> None:
    writer = Writer(database)
    sink = BatchSink(writer, release=release, max_rows=10, max_wait=60, max_backoff=0.05)
    msg = Message()
    await sink.add(error_row(3), msg)
    with psycopg.connect(database, autocommit=True) as conn:
        refuse_errors(conn, "true")
        with caplog.at_level(logging.ERROR, logger="streams.sink"):
            flushing = asyncio.create_task(sink.flush())
            await asyncio.sleep(1.0)
            assert not flushing.done() and not msg.acked  # held, not dropped
            refuse_errors(conn, None)
            await asyncio.wait_for(flushing, timeout=5)
        assert msg.acked
        assert conn.execute('SELECT "offset", reason FROM errors').fetchall() == \
            [(3, "sink_failed")]
    await writer.close()
    stalls = [r for r in caplog.records if "stalls" in r.getMessage()]
    assert len(stalls) == 1  # once, however many retries


async def test_each_stored_batch_holds_its_events_sessions_as_they_stood() -> None:
    """A batch of the worker may be stored in two transactions when the sink fills mid-way: the
    first must hold the session after its own events, or a crash between the two would commit
    those events' offsets with the session's count behind them for good."""
    from streams.sessions import Session

    def state(n: int) -> Session:
        return Session("s1", None, NOW, NOW, n, n, "/", NOW, "/", NOW, 0, n - 1)

    writer = MemoryWriter()
    sink = BatchSink(writer, release=release, max_rows=2, max_wait=60)
    for n in (1, 2, 3):
        await sink.add(event_row(n - 1), Message(), state(n))
    await sink.flush()
    assert [(len(b.events), b.sessions["s1"].event_count) for b in writer.batches] == \
        [(2, 2), (1, 3)]
