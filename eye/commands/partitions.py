"""`eye partitions`: make the coming months' event partitions and drop expired ones, now."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from base.settings import Settings


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from store.maintenance import upkeep

    done = asyncio.run(upkeep(settings.dsn, datetime.now(UTC).date(),
                              ahead=settings.partitions_ahead,
                              retention_months=settings.retention_months,
                              dedup_window=settings.dedup_window))
    print("partitions ensured: " + ", ".join(m.strftime("%Y-%m") for m in done.ensured))
    print("partitions dropped: " + (", ".join(done.dropped) or "none"))
    print(f"expired events without a month of their own: {done.expired}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("partitions", help="create coming event partitions, drop expired ones"
                   ).set_defaults(run=run)
