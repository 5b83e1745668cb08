"""Partition upkeep: make the coming months' partitions ahead of time, drop the expired ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from psycopg import AsyncConnection

from store.partitions import (drop_before, ensure_months, expire_default, months_ahead,
                              months_before)


@dataclass(frozen=True)
class Upkeep:
    ensured: list[date]
    dropped: list[str]
    expired: int = 0
    """Rows deleted from the default partition for being older than the months kept."""
    forgotten_ids: int = 0
    """Client event ids forgotten for being older than the dedup window."""


async def upkeep(dsn: str, today: date, *, ahead: int, retention_months: int,
                 dedup_window: timedelta | None = None) -> Upkeep:
    """Ensure this month and `ahead` more; with `retention_months` > 0, drop older months and
    the default partition's older rows; with `dedup_window`, forget older client event ids."""
    async with await AsyncConnection.connect(dsn, autocommit=True) as conn:
        wanted = months_ahead(today, ahead)
        await ensure_months(conn, wanted)
        dropped: list[str] = []
        expired = 0
        if retention_months > 0:
            first_kept = months_before(today, retention_months)
            dropped = await drop_before(conn, first_kept)
            expired = await expire_default(conn, first_kept)
        forgotten = 0
        if dedup_window is not None:
            cur = await conn.execute("DELETE FROM event_ids WHERE seen_at < now() - %s",
                                     (dedup_window,))
            forgotten = cur.rowcount
    return Upkeep(wanted, dropped, expired, forgotten)
