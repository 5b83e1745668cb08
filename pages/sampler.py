"""Fills the live panel's history in the API process: every `EYE_LIVE_SAMPLE_INTERVAL` seconds,
the lag from the broker (the `LagMonitor` /metrics shares) and the rejections stored since the
last sample, from the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from base.web import SETTINGS

from kafka_edge.lag import LAG, Lag, LagMonitor, LagUnavailable
from pages.history import History, gap, sample
from store.db import POOL, AsyncConnectionPool
from store.pages import rejected_recently

log = logging.getLogger(__name__)

# The live panel's history in the API's aiohttp application state.
HISTORY = web.AppKey("live_history", History)


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


async def sampling(app: web.Application) -> AsyncIterator[None]:
    """The live history's sampler, for the life of the server (after the pool: it counts
    rejections in the database)."""
    settings = app[SETTINGS]
    task = asyncio.create_task(run(app[LAG], app[POOL], app[HISTORY],
                                   settings.live_sample_interval))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def keep_history(app: web.Application) -> None:
    """The live panel's history and its sampler, for the life of the server."""
    settings = app[SETTINGS]
    app[HISTORY] = History(settings.live_history, settings.live_sample_interval)
    app.cleanup_ctx.append(sampling)
