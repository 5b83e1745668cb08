"""Monthly partitions of `events`: made when a batch first meets a month, dropped by retention."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from psycopg import AsyncConnection, Connection, sql


def month_of(ts: datetime) -> date:
    return date(ts.year, ts.month, 1)


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def partition_name(m: date) -> str:
    return f"events_{m.year:04d}_{m.month:02d}"


# Serialises partition changes across workers: DDL on one parent table would conflict.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('eye.partitions'))"


def _create(m: date) -> sql.Composed:
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF events FOR VALUES FROM ({}) TO ({})"
    ).format(sql.Identifier(partition_name(m)),
             sql.Literal(f"{m.isoformat()} 00:00:00+00"),
             sql.Literal(f"{next_month(m).isoformat()} 00:00:00+00"))


async def ensure_months(conn: AsyncConnection, months: Iterable[date]) -> None:
    """Create the partitions for `months` that do not exist yet, each in its own transaction,
    before the rows' one."""
    for m in sorted(set(months)):
        async with conn.transaction():
            await conn.execute(_LOCK)
            await conn.execute(_create(m))


def ensure_months_sync(conn: Connection, months: Iterable[date]) -> None:
    for m in sorted(set(months)):
        with conn.transaction():
            conn.execute(_LOCK)
            conn.execute(_create(m))


def months_ahead(today: date, n: int) -> list[date]:
    """This month and the `n` after it."""
    out = [month_of_date(today)]
    for _ in range(n):
        out.append(next_month(out[-1]))
    return out


def month_of_date(d: date) -> date:
    return date(d.year, d.month, 1)


def months_before(today: date, keep: int) -> date:
    """The first month kept when `keep` months are kept, this one included."""
    m = month_of_date(today)
    total = m.year * 12 + m.month - 1 - (keep - 1)
    return date(total // 12, total % 12 + 1, 1)


async def drop_before(conn: AsyncConnection, first_kept: date) -> list[str]:
    """Drop the monthly partitions wholly before `first_kept`; return their names."""
    cur = await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'")
    names = sorted(r[0] for r in await cur.fetchall())
    dropped = [n for n in names if n < partition_name(first_kept)]
    for name in dropped:
        async with conn.transaction():
            await conn.execute(_LOCK)
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    return dropped
