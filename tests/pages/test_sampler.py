"""The live history's sampler against the real broker and database: samples with rates while
the topic is there, holes (not zeros) while the broker cannot say."""

from __future__ import annotations

import asyncio
import contextlib

from base.settings import Settings
from kafka_edge.lag import LagMonitor
from pages import sampler
from pages.history import History
from store.db import open_pool
from tests.fixtures.kafka import send


async def sample_for(settings: Settings, seconds: float, during: float = 0.0) -> History:
    history = History(span=60.0, interval=0.2)
    monitor = LagMonitor(settings.kafka_bootstrap, settings.consumer_group, settings.topic,
                         max_age=0.2)
    pool = await open_pool(settings.dsn, max_size=2)
    task = asyncio.create_task(sampler.run(monitor, pool, history, 0.2))
    try:
        await asyncio.sleep(during)
        if during:
            await asyncio.to_thread(send, settings, 30)
        await asyncio.sleep(seconds)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()
    return history


async def test_samples_carry_the_lag_and_the_rate_in(topics: Settings) -> None:
    history = await sample_for(topics, 3.0, during=1.5)
    cols = history.columns(history.samples[-1].at)
    assert len(cols["at"]) >= 4 and cols["at"] == sorted(cols["at"])
    assert cols["lag"][0] == 0 and cols["lag"][-1] == 30  # no worker: all 30 wait
    assert max(r for r in cols["received"] if r is not None) > 0
    assert all(r == 0 for r in cols["rejected"] if r is not None)


async def test_a_broker_without_the_topic_leaves_holes(settings: Settings) -> None:
    history = await sample_for(settings, 3.0)  # no topics fixture: the topic does not exist
    cols = history.columns(history.samples[-1].at)
    assert cols["at"] and cols["lag"] == [None] * len(cols["at"])
