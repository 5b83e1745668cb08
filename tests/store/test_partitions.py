"""The partition scheme against the real PostgreSQL: monthly tables only within a window of
months, the default partition for any other timestamp, and rows moved out of it when their
month is made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import psycopg

from base.settings import Settings
from store.maintenance import upkeep
from store.partitions import Window, ensure_months_sync, window_months
from store.rejections import move
from store.rows import Batch, EventRow, Source
from store.writer import Writer
from validators import Policy

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def event(ts: datetime, offset: int) -> EventRow:
    return EventRow(uuid4(), "s", "page interaction", "pageview", '{"host": "h", "path": "/"}',
                    ts, None, Source("t", 0, offset, b"{}", "{}", ts))


def monthly(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass AND c.relname <> 'events_default'"))


def placed(dsn: str) -> list[tuple[str, datetime]]:
    """Each event's table and timestamp, in time order."""
    with psycopg.connect(dsn) as conn:
        return conn.execute('SELECT tableoid::regclass::text, "timestamp" FROM events'
                            ' ORDER BY "timestamp"').fetchall()


def insert(conn: psycopg.Connection, ts: datetime) -> None:
    conn.execute('INSERT INTO events (id, session_id, category, name, data, "timestamp",'
                 " received_at, kafka_partition, kafka_offset) VALUES (gen_random_uuid(),"
                 " 's', 'c', 'n', '{}', %s, now(), 0, 0)", (ts,))


def test_the_window_runs_from_the_oldest_allowed_month_to_the_months_ahead() -> None:
    assert window_months(Window(timedelta(days=61), ahead=2), NOW) == \
        (date(2026, 9, 1), date(2027, 1, 1))
    # An age past year 1 (an operator's "keep everything") is no error: the window starts there.
    assert window_months(Window(timedelta(days=800_000), ahead=0), NOW) == \
        (date(1, 1, 1), date(2026, 11, 1))


def test_the_writers_default_window_reaches_as_far_back_as_validation() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert Window().max_age == Policy().max_event_age == defaults["max_event_age"]
    assert Window().ahead == defaults["partitions_ahead"]


async def test_sentinel_timestamps_are_stored_without_a_partition_of_their_own(database: str
                                                                               ) -> None:
    writer = Writer(database)
    year_one, epoch = datetime(1, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)
    seed = datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)
    far_ahead = datetime(9999, 12, 31, tzinfo=UTC)
    batch = Batch([event(year_one, 0), event(epoch, 1), event(seed, 2), event(far_ahead, 3)],
                  [], {}, [])
    assert await writer.write(batch) == []
    assert await writer.write(batch) == []  # a redelivery: the default partition adds nothing
    await writer.close()
    assert monthly(database) == ["events_2021_01"]
    assert placed(database) == [("events_default", year_one), ("events_default", epoch),
                                ("events_2021_01", seed), ("events_default", far_ahead)]


def test_replay_makes_no_month_outside_the_window_either(database: str) -> None:
    year_one, seed = datetime(1, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)
    with psycopg.connect(database, autocommit=True) as conn:
        assert move(conn, [(1, event(year_one, 0)), (2, event(seed, 1))]) == 2
    assert monthly(database) == ["events_2021_01"]
    assert placed(database) == [("events_default", year_one), ("events_2021_01", seed)]


async def test_the_writer_moves_default_rows_into_a_month_it_makes_later(database: str) -> None:
    now = [NOW]
    writer = Writer(database, Window(timedelta(days=365), ahead=2), clock=lambda: now[0])
    later = NOW + timedelta(days=150)  # April 2027: beyond the two months ahead
    await writer.write(Batch([event(later, 0)], [], {}, []))
    assert placed(database) == [("events_default", later)]
    now[0] = later  # months pass: April is this month now, and the writer meets it again
    await writer.write(Batch([event(later + timedelta(hours=1), 1)], [], {}, []))
    await writer.close()
    assert monthly(database) == ["events_2027_04"]
    assert placed(database) == [("events_2027_04", later),
                                ("events_2027_04", later + timedelta(hours=1))]


async def test_upkeep_and_replay_make_months_whose_rows_wait_in_the_default_partition(
        database: str) -> None:
    may, june = datetime(2030, 5, 10, tzinfo=UTC), datetime(2030, 6, 10, tzinfo=UTC)
    with psycopg.connect(database, autocommit=True) as conn:
        insert(conn, may)
        insert(conn, june)
        insert(conn, june + timedelta(days=1))
    # PostgreSQL refuses to make a partition while the default one holds rows of its range.
    await upkeep(database, date(2030, 5, 1), ahead=0, retention_months=0)
    with psycopg.connect(database, autocommit=True) as conn:
        ensure_months_sync(conn, [date(2030, 6, 1)])  # what `eye replay` does
    assert placed(database) == [("events_2030_05", may), ("events_2030_06", june),
                                ("events_2030_06", june + timedelta(days=1))]


async def test_retention_also_expires_rows_of_the_default_partition(database: str) -> None:
    old, ahead = datetime(1970, 1, 1, tzinfo=UTC), datetime(2999, 1, 1, tzinfo=UTC)
    with psycopg.connect(database, autocommit=True) as conn:
        insert(conn, old)
        insert(conn, ahead)
    done = await upkeep(database, date(2024, 3, 5), ahead=0, retention_months=2)
    assert done.expired == 1
    assert placed(database) == [("events_default", ahead)]
