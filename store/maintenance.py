"""Partition upkeep: make the coming months' partitions ahead of time, drop the expired ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from psycopg import AsyncConnection

from store.partitions import drop_before, ensure_months, months_ahead, months_before


@dataclass(frozen=True)
class Upkeep:
    ensured: list[date]
    dropped: list[str]


async def upkeep(dsn: str, today: date, *, ahead: int, retention_months: int) -> Upkeep:
    """Ensure this month and `ahead` more; with `retention_months` > 0, drop older months."""
    async with await AsyncConnection.connect(dsn, autocommit=True) as conn:
        wanted = months_ahead(today, ahead)
        await ensure_months(conn, wanted)
        dropped = []
        if retention_months > 0:
            dropped = await drop_before(conn, months_before(today, retention_months))
    return Upkeep(wanted, dropped)
