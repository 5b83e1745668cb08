"""The rollups of `events` against the real PostgreSQL: after every kind of change to `events`
(the worker's batches, replay's move, deleteSession, retention, a month made over rows of the
default partition, the migration's backfill), each rollup equals a GROUP BY over `events`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg_pool import AsyncConnectionPool

from store import rejections, session_rows
from store.maintenance import upkeep
from store.migrate import migrate, migrations
from store.partitions import ensure_months
from store.rows import Batch, EventRow, Source
from store.writer import Writer

T0 = datetime(2024, 1, 31, 22, 40, tzinfo=UTC)  # two hours and twenty minutes before February

# What each rollup holds, counted from `events`.
EXPECTED = {
    "event_counts_hourly": """SELECT date_trunc('hour', "timestamp", 'UTC'), category, name,
        count(*) FROM events GROUP BY 1, 2, 3""",
    "event_counts_daily": """SELECT date_trunc('day', "timestamp", 'UTC'), category, name,
        count(*) FROM events GROUP BY 1, 2, 3""",
    "page_views_hourly": """SELECT date_trunc('hour', "timestamp", 'UTC'), data->>'host',
        data->>'path', count(*) FROM events
        WHERE category = 'page interaction' AND name = 'pageview' GROUP BY 1, 2, 3""",
    "page_views_daily": """SELECT date_trunc('day', "timestamp", 'UTC'), data->>'host',
        data->>'path', count(*) FROM events
        WHERE category = 'page interaction' AND name = 'pageview' GROUP BY 1, 2, 3""",
}


def assert_rollups_match(dsn: str) -> int:
    """Each rollup equals counting `events`; returns how many events there are."""
    with psycopg.connect(dsn) as conn:
        for table, query in EXPECTED.items():
            want = sorted(conn.execute(query).fetchall(), key=repr)
            got = sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            assert got == want, f"{table} differs from counting events"
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])  # type: ignore[index]


_offsets = iter(range(10**9))


def ev(session: str, ts: datetime, category: str = "page interaction", name: str = "pageview",
       data: str = '{"host": "h", "path": "/"}', client: bool = False) -> EventRow:
    return EventRow(uuid.uuid4(), session, category, name, data, ts, None,
                    Source("t", 0, next(_offsets), b"{}", "{}", ts), client_id=client)


def mixed(session: str, n: int, start: datetime = T0) -> list[EventRow]:
    """n events 7 minutes apart: page views of three paths (one with no host), clicks, submits."""
    kinds = [("page interaction", "pageview", '{"host": "h", "path": "/a"}'),
             ("page interaction", "pageview", '{"host": "h", "path": "/b"}'),
             ("page interaction", "pageview", '{"path": "/nohost"}'),
             ("page interaction", "cta click", '{"host": "h", "path": "/a"}'),
             ("form interaction", "submit", "{}")]
    return [ev(session, start + timedelta(minutes=7 * i), *kinds[i % len(kinds)])
            for i in range(n)]


async def test_writer_batches_redeliveries_and_duplicates(database: str) -> None:
    writer = Writer(database)
    first = mixed("s1", 40)  # across three hours, two days and two months
    await writer.write(Batch(first, [], {}, []))
    assert assert_rollups_match(database) == 40
    await writer.write(Batch(first, [], {}, []))  # redelivered: nothing inserted, nothing counted
    assert assert_rollups_match(database) == 40
    # A client id stored before, read again from another message: a duplicate, not an event.
    claimed = ev("s2", T0, client=True)
    await writer.write(Batch([claimed], [], {}, []))
    again = EventRow(claimed.id, "s2", claimed.category, claimed.name, claimed.data,
                     claimed.timestamp, None, Source("t", 1, 5, b"{}", "{}", T0), client_id=True)
    dups = await writer.write(Batch([again, *mixed("s3", 5)], [], {}, []))
    assert len(dups) == 1
    # Far outside the window of months: the default partition, counted all the same.
    far = [ev("s4", datetime(2090, 5, 5, 5, 5, tzinfo=UTC)), ev("s4", T0 + timedelta(hours=1))]
    await writer.write(Batch(far, [], {}, []))
    await writer.close()
    assert assert_rollups_match(database) == 40 + 1 + 5 + 2


def test_replay_move_counts_what_it_adds(database: str) -> None:
    stored = mixed("s1", 6)
    with psycopg.connect(database, autocommit=True) as conn:
        assert rejections.move(conn, [(i, e) for i, e in enumerate(stored)]) == 6
        assert assert_rollups_match(database) == 6
        # Moved again (a race with a redelivery, or a second replay): nothing new, nothing counted.
        more = mixed("s2", 4, T0 + timedelta(days=3))
        assert rejections.move(conn, [(i, e) for i, e in enumerate(stored[:3] + more)]) == 4
    assert assert_rollups_match(database) == 10


async def test_delete_session_takes_its_counts_away(database: str) -> None:
    writer = Writer(database)
    await writer.write(Batch(mixed("gone", 12) + mixed("kept", 12, T0 + timedelta(minutes=3)),
                             [], {}, []))
    await writer.close()
    assert assert_rollups_match(database) == 24
    async with AsyncConnectionPool(database, min_size=1, max_size=1, open=False) as pool:
        deleted = await session_rows.delete(pool, "gone")
    assert deleted.events == 12
    assert assert_rollups_match(database) == 12
    with psycopg.connect(database) as conn:
        # Counts brought to 0 leave no row behind: no zero buckets.
        assert conn.execute("SELECT count(*) FROM event_counts_hourly WHERE count <= 0"
                            ).fetchone() == (0,)
        # Hours only "gone" had events in are gone from the rollup.
        assert conn.execute("SELECT count(*) FROM event_counts_hourly").fetchone() == \
            conn.execute("""SELECT count(DISTINCT (date_trunc('hour', "timestamp", 'UTC'),
                            category, name)) FROM events""").fetchone()


async def test_retention_takes_dropped_months_and_expired_default_rows_away(
        database: str) -> None:
    writer = Writer(database)
    # December and January get partitions; 1990 is outside the window, in the default partition.
    old = [ev("d", datetime(2023, 12, 31, 23, 59, tzinfo=UTC)),
           ev("o", datetime(1990, 3, 1, 12, tzinfo=UTC)),
           ev("o", datetime(1990, 3, 1, 12, 30, tzinfo=UTC), "form interaction", "submit")]
    await writer.write(Batch(old + mixed("s", 30), [], {}, []))
    await writer.close()
    assert assert_rollups_match(database) == 33
    done = await upkeep(database, date(2024, 2, 10), ahead=0, retention_months=2)
    assert done.dropped == ["events_2023_12"] and done.expired == 2
    # January (kept) and February (this month) stay.
    assert assert_rollups_match(database) == 30


async def test_a_month_made_over_default_rows_keeps_their_counts(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("""INSERT INTO events (id, session_id, category, name, data, "timestamp",
                        received_at, kafka_partition, kafka_offset)
                        SELECT gen_random_uuid(), 's', 'page interaction', 'pageview',
                               '{"path": "/x"}', '2024-03-01'::timestamptz + i * interval '1 h',
                               now(), 0, i FROM generate_series(0, 9) i""")
        assert conn.execute("SELECT count(*) FROM events_default").fetchone() == (10,)
    assert assert_rollups_match(database) == 10
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as aconn:
        await ensure_months(aconn, [date(2024, 3, 1)])  # moves the rows out of the default one
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events_2024_03").fetchone() == (10,)
    assert assert_rollups_match(database) == 10


def test_migration_backfills_the_events_stored_before_it(postgres_dsn: str) -> None:
    name = f"eye_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = postgres_dsn.rsplit("/", 1)[0] + f"/{name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE schema_migrations (name text PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")
            for file, text in migrations():
                if file >= "006":
                    break
                conn.execute(text.encode())
                conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (file,))
            conn.execute("""INSERT INTO events (id, session_id, category, name, data,
                            "timestamp", received_at, kafka_partition, kafka_offset)
                            SELECT gen_random_uuid(), 's' || i % 4,
                                   CASE WHEN i % 3 = 0 THEN 'form interaction'
                                        ELSE 'page interaction' END,
                                   CASE WHEN i % 3 = 0 THEN 'submit' WHEN i % 3 = 1
                                        THEN 'pageview' ELSE 'cta click' END,
                                   jsonb_build_object('host', 'h', 'path', '/p' || i % 5),
                                   '2024-01-30'::timestamptz + i * interval '17 min', now(), 0, i
                            FROM generate_series(1, 500) i""")
            assert "006_event_rollups.sql" in migrate(conn)
        assert assert_rollups_match(dsn) == 500
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT sum(count) FROM event_counts_daily").fetchone() == (500,)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_events_are_not_updated(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        try:
            conn.execute("UPDATE events SET name = 'other'")
        except psycopg.errors.RaiseException as exc:
            assert "not updated" in str(exc)
        else:
            raise AssertionError("an UPDATE of events went through")
