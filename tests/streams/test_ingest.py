"""One message through the ingest logic with the real database behind the app check: whatever
goes wrong, the message still ends as exactly one row, and the agent goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import psycopg

from kafka_edge.hole_reader import Record
from store import applications
from store.recall import Recall
from store.writer import Writer
from streams.app_resolver import AppResolver
from streams.ingest import Ingest
from streams.sink import BatchSink
from validators import Policy, Reason, Rejection


def message(offset: int, app_key: str) -> Record:
    sid = str(uuid.uuid4())
    value = orjson.dumps({"session_id": sid, "category": "page interaction", "name": "pageview",
                          "data": {"host": "h", "path": "/"},
                          "timestamp": datetime.now(UTC).isoformat()})
    return Record("events", 0, offset, sid.encode(), value,
                  [("eye-app-key", app_key.encode())], None)


async def test_an_app_check_that_fails_unexpectedly_is_an_internal_error_row(
        database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        key = applications.add(conn, "site")
        conn.execute("ALTER TABLE applications RENAME TO applications_away")
    released: list[object] = []

    async def release(tokens: list[object]) -> None:
        released.extend(tokens)

    writer = Writer(database)
    resolver = AppResolver(database)
    ingest = Ingest(policy=Policy(), apps=resolver,
                    sink=BatchSink(writer, release=release, max_rows=100, max_wait=60),
                    sessions={}, recall=Recall(database))
    await ingest.handle(message(0, key), "first")  # must not raise: the agent would stop
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("ALTER TABLE applications_away RENAME TO applications")
    await ingest.handle(message(1, key), "second")
    await ingest.sink.flush()
    await writer.close()
    await resolver.close()
    assert released == ["first", "second"]
    with psycopg.connect(database) as conn:
        [(offset, reason, detail)] = conn.execute(
            'SELECT "offset", reason, detail FROM errors').fetchall()
        assert (offset, reason) == (0, "internal_error") and "UndefinedTable" in detail
        assert conn.execute("SELECT kafka_offset FROM events").fetchall() == [(1,)]


def test_an_api_token_as_app_key_is_named_in_the_rejection() -> None:
    ingest = Ingest(policy=Policy(), apps=None, sink=None, sessions={},  # type: ignore[arg-type]
                    recall=None)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    token = ingest.judge(b"{}", b"eyt_abc", None, now)
    unknown = ingest.judge(b"{}", b"eye_abc", None, now)
    assert isinstance(token, Rejection) and isinstance(unknown, Rejection)
    assert token.reason == unknown.reason == Reason.UNAUTHORIZED_APP
    assert "this is an API token" in token.detail
    assert unknown.detail.endswith("unknown or revoked key")


async def test_a_batch_stored_in_two_transactions_keeps_its_sessions_with_each(
        database: str) -> None:
    """The sink may fill in the middle of the worker's batch: each transaction must hold the
    session as it stood after that transaction's events. Were the snapshot only with the
    session's last event, a crash between the two would leave the first transaction's events
    committed, their offsets with them, and the session's count behind them for good."""
    with psycopg.connect(database, autocommit=True) as conn:
        key = applications.add(conn, "site")

    class Writes(Writer):
        """Stores, and notes each session count a transaction holds."""

        seen: list[tuple[int, dict[str, int]]] = []

        async def write(self, batch):  # type: ignore[no-untyped-def]
            self.seen.append((len(batch.events),
                              {s: r.event_count for s, r in batch.sessions.items()}))
            return await super().write(batch)

    async def release(tokens: list[object]) -> None:
        pass

    writer, resolver = Writes(database), AppResolver(database)
    ingest = Ingest(policy=Policy(), apps=resolver,
                    sink=BatchSink(writer, release=release, max_rows=2, max_wait=60),
                    sessions={}, recall=Recall(database))
    first = message(0, key)
    sid = first.key.decode()
    same = [Record("events", 0, o, first.key, first.value.replace(b'"path":"/"',
                                                                   f'"path":"/{o}"'.encode()),
                   first.headers, None) for o in range(3)]
    await ingest.handle_batch([(m, m.offset) for m in same])
    await ingest.sink.flush()
    await writer.close()
    await resolver.close()
    assert Writes.seen == [(2, {sid: 2}), (1, {sid: 3})]


async def test_a_session_state_goes_to_the_local_store_when_it_leaves_the_cache(
        database: str) -> None:
    """The state cache writes a state to the table only when it lets it go; the session then
    goes on from the table, counted right."""
    with psycopg.connect(database, autocommit=True) as conn:
        key = applications.add(conn, "site")

    async def release(tokens: list[object]) -> None:
        pass

    writer, resolver, recall = Writer(database), AppResolver(database), Recall(database)
    table: dict[bytes, bytes] = {}
    ingest = Ingest(policy=Policy(), apps=resolver, max_states=2,
                    sink=BatchSink(writer, release=release, max_rows=100, max_wait=60),
                    sessions=table, recall=recall)
    a, b, c = (message(o, key) for o in range(3))
    try:
        await ingest.handle_batch([(a, 0), (b, 1)])
        assert table == {} and ingest.unstored == 2  # both still cached only
        await ingest.handle_batch([(c, 2)])
        assert list(table) == [a.key]  # the least recently used went to the store
        assert ingest.unstored == 2  # b and c: with the store's one, the worker holds three
        again = Record("events", 0, 3, a.key, a.value.replace(b'"path":"/"', b'"path":"/2"'),
                       a.headers, None)
        await ingest.handle_batch([(again, 3)])
        await ingest.sink.flush()
    finally:
        await writer.close()
        await resolver.close()
        await recall.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT event_count, exit_page FROM sessions WHERE session_id = %s",
                            (a.key.decode(),)).fetchone() == (2, "/2")


async def test_a_session_met_first_through_a_duplicate_keeps_its_stored_state(
        database: str) -> None:
    """A worker with nothing local (after a restart) takes a session's state from the database
    the first time it meets the session. When that first meeting is a duplicate event, which
    moves nothing, the state taken must still be kept: the next event builds on it, not on
    nothing (seen in the soak: sessions restarted from scratch after a kill -9)."""
    with psycopg.connect(database, autocommit=True) as conn:
        key = applications.add(conn, "site")

    async def release(tokens: list[object]) -> None:
        pass

    sid, ids = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]

    def record(offset: int, event_id: str, path: str) -> Record:
        value = orjson.dumps({"session_id": sid, "category": "page interaction",
                              "name": "pageview", "data": {"host": "h", "path": path},
                              "event_id": event_id, "timestamp": datetime.now(UTC).isoformat()})
        return Record("events", 0, offset, sid.encode(), value,
                      [("eye-app-key", key.encode())], None)

    async def worker(batches: list[list[Record]]) -> None:
        writer, resolver, recall = Writer(database), AppResolver(database), Recall(database)
        ingest = Ingest(policy=Policy(), apps=resolver,
                        sink=BatchSink(writer, release=release, max_rows=100, max_wait=60),
                        sessions={}, recall=recall)
        try:
            for batch in batches:
                await ingest.handle_batch([(m, m.offset) for m in batch])
            await ingest.sink.flush()
        finally:
            await writer.close()
            await resolver.close()
            await recall.close()

    await worker([[record(0, ids[0], "/a"), record(1, ids[1], "/b")]])
    # A new worker: its first batch holds only a copy of the first event, its second a new one.
    await worker([[record(2, ids[0], "/a")], [record(3, ids[2], "/c")]])
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT event_count, entry_page, exit_page FROM sessions").fetchall() \
            == [(3, "/a", "/c")]
        assert conn.execute("SELECT reason FROM errors").fetchall() == [("duplicate_event",)]
