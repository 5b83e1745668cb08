"""Monthly partitions of `events`: made when a batch first meets a month, dropped by retention.

Only months within a window get a partition; rows of any other month go to `events_default`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from psycopg import AsyncConnection, Connection, sql

DEFAULT = "events_default"


@dataclass(frozen=True, slots=True)
class Window:
    """Which months the writer makes a partition for: from the month `max_age` ago to `ahead`
    months after this one. Its defaults are EYE_MAX_EVENT_AGE's and EYE_PARTITIONS_AHEAD's."""

    max_age: timedelta = timedelta(days=10958)
    ahead: int = 2


def window_months(window: Window, now: datetime) -> tuple[date, date]:
    """The first and the last month of `window` at `now`."""
    try:
        first = month_of(now - window.max_age)
    except OverflowError:  # an age reaching past year 1 leaves no month out
        first = date(1, 1, 1)
    return first, add_months(month_of(now), window.ahead)


def in_window(window: Window, now: datetime, timestamps: Iterable[datetime]) -> set[date]:
    """The months of `timestamps` that `window` gives a partition at `now`."""
    first, last = window_months(window, now)
    return {m for m in {month_of(ts) for ts in timestamps} if first <= m <= last}


def month_of(ts: datetime) -> date:
    return date(ts.year, ts.month, 1)


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def add_months(m: date, n: int) -> date:
    """The month `n` months after `m` (before, when `n` is negative), within years 1 to 9999."""
    total = min(max(m.year * 12 + m.month - 1 + n, 12), 9999 * 12 + 11)
    return date(total // 12, total % 12 + 1, 1)


def partition_name(m: date) -> str:
    return f"events_{m.year:04d}_{m.month:02d}"


# Serialises partition changes across workers: DDL on one parent table would conflict.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('eye.partitions'))"
# A row when the month's partition exists; asked under the lock, as another worker's month
# may have been made since this one looked.
_EXISTS = "SELECT 1 WHERE to_regclass(%s) IS NOT NULL"


def _create(m: date) -> list[sql.Composed]:
    """Make month `m`'s partition, taking its rows out of the default partition first.

    PostgreSQL refuses a partition whose range holds rows of the default partition, so the
    month is made as a table of its own, filled from there, then attached; it all happens in
    one transaction, so no reader sees the rows twice or not at all. The statements name the
    partitions, not `events`, so the rollups' triggers do not fire: the rows only move.
    """
    name = sql.Identifier(partition_name(m))
    start = sql.Literal(f"{m.isoformat()} 00:00:00+00")
    end = sql.Literal(f"{next_month(m).isoformat()} 00:00:00+00")
    return [
        sql.SQL("CREATE TABLE {} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                ).format(name),
        sql.SQL('WITH moved AS (DELETE FROM {} WHERE "timestamp" >= {} AND "timestamp" < {}'
                " RETURNING *) INSERT INTO {} SELECT * FROM moved"
                ).format(sql.Identifier(DEFAULT), start, end, name),
        sql.SQL("ALTER TABLE events ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})"
                ).format(name, start, end),
    ]


async def ensure_months(conn: AsyncConnection, months: Iterable[date]) -> None:
    """Create the partitions for `months` that do not exist yet, each in its own transaction,
    before the rows' one."""
    for m in sorted(set(months)):
        async with conn.transaction():
            await conn.execute(_LOCK)
            cur = await conn.execute(_EXISTS, (partition_name(m),))
            if await cur.fetchone():
                continue
            for statement in _create(m):
                await conn.execute(statement)


def ensure_months_sync(conn: Connection, months: Iterable[date]) -> None:
    for m in sorted(set(months)):
        with conn.transaction():
            conn.execute(_LOCK)
            if conn.execute(_EXISTS, (partition_name(m),)).fetchone():
                continue
            for statement in _create(m):
                conn.execute(statement)


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
            # Dropped first: the drop waits for the transactions writing to `events`, and holds
            # off new ones, so no count of the month's rows can change after its rollups go.
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
            m = date(int(name[7:11]), int(name[12:14]), 1)
            for statement in forget_rollups(m, next_month(m)):
                await conn.execute(statement)
    return dropped


# The rollups of `events` (store/migrations/006_event_rollups.sql) and the unit of each.
ROLLUPS = (("event_counts_hourly", "hour"), ("event_counts_daily", "day"),
           ("page_views_hourly", "hour"), ("page_views_daily", "day"))


def forget_rollups(start: date, end: date) -> list[sql.Composed]:
    """Delete the rollup rows of [start, end) (UTC midnights): a drop of partitions fires no
    trigger, so it takes its rows' counts away itself."""
    lo = sql.Literal(f"{start.isoformat()} 00:00:00+00")
    hi = sql.Literal(f"{end.isoformat()} 00:00:00+00")
    return [sql.SQL("DELETE FROM {} WHERE {} >= {} AND {} < {}").format(
        sql.Identifier(table), sql.Identifier(unit), lo, sql.Identifier(unit), hi)
        for table, unit in ROLLUPS]


async def expire_default(conn: AsyncConnection, first_kept: date) -> int:
    """Delete the default partition's rows from before `first_kept`; return how many.

    Retention holds for every event: one that had no month of its own is not kept longer.
    """
    async with conn.transaction():
        await conn.execute(_LOCK)
        # Through `events`, so that the rollups' trigger takes the rows' counts away; a
        # statement on a partition itself fires no trigger of `events`.
        cur = await conn.execute(sql.SQL(
            'DELETE FROM events WHERE tableoid = {}::regclass AND "timestamp" < {}').format(
            sql.Literal(DEFAULT), sql.Literal(f"{first_kept.isoformat()} 00:00:00+00")))
        return cur.rowcount
