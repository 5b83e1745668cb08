"""Fills the live panel's history in the API process: every `EYE_LIVE_SAMPLE_INTERVAL` seconds,
the lag from the broker (the `LagMonitor` /metrics shares) and the rejections stored since the
last sample, from the database."""

from __future__ import annotations

import asyncio
import logging
import time

from psycopg_pool import AsyncConnectionPool

from monitor.history import History, gap, sample
from monitor.lag import Lag, LagMonitor, LagUnavailable
from store.pages import rejected_recently

log = logging.getLogger(__name__)


async def run(monitor: LagMonitor, pool: AsyncConnectionPool, history: History,
              interval: float) -> None:
    """Sample until cancelled. The first sample comes one interval after the start, so a
    server that lives less (a test's) asks the broker nothing."""
    before: Lag | None = None
    while True:
        await asyncio.sleep(interval)
        try:
            now = await monitor.current()
        except LagUnavailable:
            history.add(gap(time.time()))
            before = None
            continue
        if before is not None and now.measured_at <= before.measured_at:
            continue  # the monitor's cached answer again: nothing new to draw
        rejected = 0
        if before is not None:
            try:
                rejected = await rejected_recently(pool, now.measured_at - before.measured_at)
            except Exception as exc:  # a database away must not end the sampling for good
                log.warning("live history: rejections not counted: %s", exc)
                history.add(gap(now.measured_at))
                before = None
                continue
        history.add(sample(before, now, rejected))
        before = now
