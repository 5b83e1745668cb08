"""The writer against the real PostgreSQL: batches land, redelivery adds nothing, months split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg

from store.rows import ErrorRow, EventRow
from store.writer import Writer

T0 = datetime(2021, 12, 31, 23, 59, 0, tzinfo=UTC)


def rows(session: str, n: int, start: datetime = T0) -> list[EventRow]:
    return [EventRow(uuid4(), session, "page interaction", "pageview",
                     f'{{"host": "h", "path": "/p{i}"}}', start + timedelta(seconds=30 * i), None,
                     start) for i in range(n)]


async def test_batch_is_idempotent_and_sessions_agree(database: str) -> None:
    writer = Writer(database)
    batch = rows("s1", 4) + rows("s2", 1)
    errors = [ErrorRow("malformed_json", "not JSON", b"\xff{", "{}", "t", 0, 7, T0, None)]
    await writer.write(batch, errors)
    await writer.write(batch, errors)  # redelivered after a crash
    await writer.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (5,)
        assert conn.execute("SELECT payload FROM errors").fetchall() == [(b"\xff{",)]
        s1 = conn.execute("SELECT event_count, pageviews, entry_page, exit_page, bounce "
                          "FROM sessions WHERE session_id = 's1'").fetchone()
        assert s1 == (4, 4, "/p0", "/p3", False)
        s2 = conn.execute("SELECT event_count, bounce FROM sessions WHERE session_id = 's2'")
        assert s2.fetchone() == (1, True)
        # The four events straddle New Year: they live in two monthly partitions.
        parts = conn.execute("SELECT tableoid::regclass::text, count(*) FROM events "
                             "GROUP BY 1 ORDER BY 1").fetchall()
        assert parts == [("events_2021_12", 3), ("events_2022_01", 2)]


async def test_session_entry_and_exit_follow_event_time_not_arrival(database: str) -> None:
    writer = Writer(database)
    ordered = rows("s", 3)
    await writer.write([ordered[2]], [])
    await writer.write([ordered[0], ordered[1]], [])
    await writer.close()
    with psycopg.connect(database) as conn:
        row = conn.execute("SELECT entry_page, exit_page, first_seen, last_seen FROM sessions")
        assert row.fetchone() == ("/p0", "/p2", T0, T0 + timedelta(seconds=60))
