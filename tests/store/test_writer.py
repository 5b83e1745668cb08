"""The writer against the real PostgreSQL: batches land, redelivery adds nothing, months split."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from store.errors import RowsRejected, StoreUnavailable
from store.maintenance import upkeep
from store.rows import Batch, ErrorRow, EventRow, SessionRow, Source
from store.writer import DUPLICATE_EVENT, Writer
from validators import Reason

T0 = datetime(2021, 12, 31, 23, 59, 0, tzinfo=UTC)


def rows(session: str, n: int, first_offset: int = 0) -> list[EventRow]:
    return [EventRow(uuid4(), session, "page interaction", "pageview",
                     f'{{"host": "h", "path": "/p{i}"}}', T0 + timedelta(seconds=30 * i), None,
                     Source("t", 0, first_offset + i, b"{}", "{}", T0)) for i in range(n)]


def session(sid: str, count: int) -> SessionRow:
    return SessionRow(sid, None, T0, T0 + timedelta(seconds=30), 30.0, count, count, "/p0",
                      "/p1", count <= 1)


async def test_batch_is_idempotent_across_months(database: str) -> None:
    writer = Writer(database)
    events = rows("s1", 4) + rows("s2", 1, first_offset=10)
    errors = [ErrorRow("malformed_json", "not JSON", None,
                       Source("t", 0, 7, b"\xff{", '{"h": "v"}', T0))]
    batch = Batch(events, errors, {"s1": session("s1", 4)}, [])
    assert await writer.write(batch) == []
    assert await writer.write(batch) == []  # redelivered after a crash: nothing new
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (5,)
        assert conn.execute("SELECT payload, headers FROM errors").fetchall() == \
            [(b"\xff{", {"h": "v"})]
        assert conn.execute("SELECT event_count FROM sessions").fetchall() == [(4,)]
        # The four events straddle New Year: they live in two monthly partitions.
        parts = conn.execute("SELECT tableoid::regclass::text, count(*) FROM events "
                             "GROUP BY 1 ORDER BY 1").fetchall()
        assert parts == [("events_2021_12", 3), ("events_2022_01", 2)]


async def test_a_late_event_for_a_month_retention_dropped_is_stored(database: str) -> None:
    """The writer remembers which months exist; retention (another connection, maybe another
    process) may drop one of them, and an event of that month must still find a table."""
    writer = Writer(database)
    await writer.write(Batch(rows("s", 1), [], {}, []))  # December 2021: made and remembered
    done = await upkeep(database, date(2022, 2, 1), ahead=0, retention_months=1)
    assert done.dropped == ["events_2021_12"]
    late, later = rows("s", 1, first_offset=5), rows("s", 1, first_offset=6)
    assert await writer.write(Batch(late, [], {}, [])) == []
    assert await writer.write(Batch(later, [], {}, [])) == []
    await writer.close()
    with psycopg.connect(database) as conn:
        # The first went to the default partition, and taught the writer the month was gone;
        # the next made the month again, which took the first one in.
        assert conn.execute("SELECT tableoid::regclass::text, kafka_offset FROM events "
                            "ORDER BY kafka_offset").fetchall() == \
            [("events_2021_12", 5), ("events_2021_12", 6)]
        assert conn.execute("SELECT count(*) FROM errors").fetchone() == (0,)


async def test_same_event_id_from_another_message_is_a_duplicate_error(database: str) -> None:
    writer = Writer(database)
    [first] = rows("s", 1)
    again = EventRow(first.id, "s", first.category, first.name, first.data, first.timestamp,
                     None, Source("t", 0, 99, b"again", "{}", T0))
    await writer.write(Batch([first], [], {}, []))
    dups = await writer.write(Batch([again], [], {}, []))
    assert [(d.reason, d.source.offset) for d in dups] == [(DUPLICATE_EVENT, 99)]
    assert DUPLICATE_EVENT == Reason.DUPLICATE_EVENT
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
        assert conn.execute("SELECT reason, \"offset\", payload FROM errors").fetchall() == \
            [("duplicate_event", 99, b"again")]


async def test_sessions_never_move_backwards(database: str) -> None:
    writer = Writer(database)
    await writer.write(Batch([], [], {"s": session("s", 5)}, []))
    await writer.write(Batch([], [], {"s": session("s", 3)}, []))  # a stale snapshot
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT event_count FROM sessions").fetchone() == (5,)


async def test_unreachable_database_is_reported_as_unavailable() -> None:
    writer = Writer("postgresql://eye:eye@127.0.0.1:1/eye")
    with pytest.raises(StoreUnavailable):
        await writer.write(Batch(rows("s", 1), [], {}, []))


def fail_inserts(conn: psycopg.Connection, sqlstate: str | None) -> None:
    """Make every insert into `events` fail with `sqlstate`, or (None) stop doing so."""
    conn.execute("DROP TRIGGER IF EXISTS fault ON events")
    if sqlstate is None:
        return
    conn.execute(f"""CREATE OR REPLACE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$""")
    conn.execute("CREATE TRIGGER fault BEFORE INSERT ON events "
                 "FOR EACH STATEMENT EXECUTE FUNCTION fault()")


@pytest.mark.parametrize("sqlstate", ["XX000", "42501", "55000"])
async def test_a_failure_not_about_the_rows_keeps_the_batch_for_a_retry(
        database: str, sqlstate: str) -> None:
    """A server fault, a missing privilege, an object in the wrong state: the rows are not at
    fault, so they must not become `sink_failed` errors; the same batch stores once it clears."""
    writer = Writer(database)
    batch = Batch(rows("s", 2), [], {"s": session("s", 2)}, [])
    with psycopg.connect(database, autocommit=True) as conn:
        fail_inserts(conn, sqlstate)
        with pytest.raises(StoreUnavailable, match="injected"):
            await writer.write(batch)
        fail_inserts(conn, None)
        assert await writer.write(batch) == []
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (2,)
    await writer.close()


@pytest.mark.parametrize("sqlstate", ["22P02", "23514", "54000"])
async def test_a_refusal_of_the_rows_data_is_final(database: str, sqlstate: str) -> None:
    writer = Writer(database)
    with psycopg.connect(database, autocommit=True) as conn:
        fail_inserts(conn, sqlstate)
        with pytest.raises(RowsRejected, match="injected"):
            await writer.write(Batch(rows("s", 1), [], {}, []))
    await writer.close()


async def test_a_value_psycopg_refuses_before_sending_is_a_refusal_of_the_rows(
        database: str) -> None:
    """PostgreSQL text cannot hold NUL; psycopg says so itself, with no SQLSTATE. Retrying
    would fail forever, so it is a refusal of the rows, not an unavailable database."""
    writer = Writer(database)
    bad = ErrorRow("malformed_json", "a \x00 in the detail", None,
                   Source("t", 0, 1, b"{", "{}", T0))
    with pytest.raises(RowsRejected, match="NUL"):
        await writer.write(Batch([], [bad], {}, []))
    await writer.close()


async def test_a_client_id_first_read_elsewhere_is_a_duplicate_whatever_its_time(
        database: str) -> None:
    """The events table cannot hold an id unique across its months; `event_ids` can."""
    from dataclasses import replace

    writer = Writer(database)
    [first] = rows("s", 1)
    first = replace(first, client_id=True)
    later = replace(first, timestamp=first.timestamp + timedelta(days=40),
                    source=Source("t", 3, 99, b"{}", "{}", T0))
    assert await writer.write(Batch([first], [], {}, [])) == []
    assert await writer.write(Batch([first], [], {}, [])) == []  # redelivered: nothing
    [dup] = await writer.write(Batch([later], [], {}, []))
    assert dup.reason == DUPLICATE_EVENT and "0:0" in dup.detail
    both = replace(first, id=uuid4(), source=Source("t", 1, 5, b"{}", "{}", T0))
    again = replace(both, source=Source("t", 1, 6, b"{}", "{}", T0))
    [dup] = await writer.write(Batch([both, again], [], {}, []))  # twice in one batch
    assert dup.source.offset == 6
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM errors").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM event_ids").fetchone() == (2,)


async def test_upkeep_forgets_client_ids_older_than_the_dedup_window(database: str) -> None:
    from dataclasses import replace

    writer = Writer(database)
    await writer.write(Batch([replace(e, client_id=True) for e in rows("s", 3)], [], {}, []))
    await writer.close()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE event_ids SET seen_at = now() - interval '8 days' "
                     "WHERE kafka_offset < 2")
    done = await upkeep(database, date.today(), ahead=0, retention_months=0,
                        dedup_window=timedelta(days=7))
    assert done.forgotten_ids == 2


async def test_every_column_lands_as_sent(database: str) -> None:
    """Events and sessions go in by binary COPY, each value in its column's wire form: the data
    must arrive as the JSON object it was (not a JSON string), times, ids and state intact."""
    [event] = rows("s-é", 1)
    event = EventRow(event.id, event.session_id, event.category, event.name,
                     '{"path": "/café", "n": 1.5, "tags": ["a"]}', event.timestamp, 7,
                     event.source, client_id=True)
    state = bytes(range(256))
    snapshot = SessionRow("s-é", 7, T0, T0 + timedelta(seconds=1.25), 1.25, 3, 2, "/a", None,
                          False, state)
    writer = Writer(database)
    await writer.write(Batch([event], [], {"s-é": snapshot}, []))
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute(
            "SELECT id, session_id, data, jsonb_typeof(data), \"timestamp\", application_id, "
            "kafka_partition, kafka_offset FROM events").fetchall() == \
            [(event.id, "s-é", {"path": "/café", "n": 1.5, "tags": ["a"]}, "object", T0, 7, 0, 0)]
        assert conn.execute(
            "SELECT application_id, first_seen, last_seen, duration_seconds, event_count, "
            "pageviews, entry_page, exit_page, bounce, state FROM sessions").fetchall() == \
            [(7, T0, T0 + timedelta(seconds=1.25), 1.25, 3, 2, "/a", None, False, state)]
