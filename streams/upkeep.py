"""The events table's monthly partitions, made ahead and dropped past retention by the worker:
once at start and then hourly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import faust

from base.settings import Settings
from store.maintenance import upkeep

log = logging.getLogger(__name__)


def keep_partitions(app: faust.App, settings: Settings) -> None:
    async def partition_upkeep() -> None:
        try:
            done = await upkeep(settings.dsn, datetime.now(UTC).date(),
                                ahead=settings.partitions_ahead,
                                retention_months=settings.retention_months,
                                dedup_window=settings.dedup_window)
        except Exception as exc:  # the next round tries again; rows still make their months
            log.warning("partition upkeep failed: %s", exc)
            return
        if done.dropped:
            log.info("dropped expired partitions: %s", ", ".join(done.dropped))

    app.task(partition_upkeep)
    app.timer(interval=3600.0)(partition_upkeep)
