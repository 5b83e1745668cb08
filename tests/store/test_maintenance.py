"""Partition upkeep against the real PostgreSQL: months made ahead, expired months dropped."""

from __future__ import annotations

from datetime import date

import psycopg

from store.maintenance import upkeep
from store.partitions import months_ahead, months_before


def test_month_arithmetic() -> None:
    assert months_ahead(date(2024, 11, 17), 2) == [date(2024, 11, 1), date(2024, 12, 1),
                                                    date(2025, 1, 1)]
    assert months_before(date(2024, 2, 10), 3) == date(2023, 12, 1)
    assert months_before(date(2024, 2, 10), 1) == date(2024, 2, 1)


def partitions(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass"))


async def test_upkeep_makes_months_ahead_and_drops_by_retention(database: str) -> None:
    await upkeep(database, date(2024, 1, 5), ahead=1, retention_months=0)
    await upkeep(database, date(2024, 3, 5), ahead=2, retention_months=0)
    assert partitions(database) == ["events_2024_01", "events_2024_02", "events_2024_03",
                                    "events_2024_04", "events_2024_05", "events_default"]
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("INSERT INTO events (id, session_id, category, name, data, \"timestamp\","
                     " received_at, kafka_partition, kafka_offset) VALUES (gen_random_uuid(),"
                     " 's', 'c', 'n', '{}', '2024-01-10', now(), 0, 0)")
    done = await upkeep(database, date(2024, 3, 5), ahead=2, retention_months=2)
    assert done.dropped == ["events_2024_01"]
    assert partitions(database)[0] == "events_2024_02"
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (0,)
