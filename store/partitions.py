"""Monthly partitions of `events`: made when a batch first meets a month, dropped by retention."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from psycopg import AsyncConnection, sql


def month_of(ts: datetime) -> date:
    return date(ts.year, ts.month, 1)


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def partition_name(m: date) -> str:
    return f"events_{m.year:04d}_{m.month:02d}"


async def ensure_months(conn: AsyncConnection, months: Iterable[date]) -> None:
    """Create the partitions for `months` that do not exist yet.

    Runs in its own transaction, before the rows' one, so a partition made by another worker at
    the same moment costs a retry of this statement only.
    """
    for m in sorted(set(months)):
        stmt = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF events FOR VALUES FROM ({}) TO ({})"
        ).format(sql.Identifier(partition_name(m)),
                 sql.Literal(f"{m.isoformat()} 00:00:00+00"),
                 sql.Literal(f"{next_month(m).isoformat()} 00:00:00+00"))
        for attempt in range(3):
            try:
                async with conn.transaction():
                    # Serialises partition creation across workers; DDL on one parent conflicts.
                    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('eye.partitions'))")
                    await conn.execute(stmt)
                break
            except Exception:
                if attempt == 2:
                    raise
