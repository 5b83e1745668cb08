"""Where the worker resumes each partition after a rebalance, asked of the broker until it
answers: without the broker nothing is read anyway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from base import backoff
from base.settings import Settings
from kafka_edge.clients import KafkaException, admin
from kafka_edge.positions import resume_positions

log = logging.getLogger(__name__)


def resume_positions_of(settings: Settings) -> Callable[[], Awaitable[dict[int, int]]]:
    """The Sequencer's `resume_positions`: the group's position on each input partition."""
    client = admin(settings.kafka_bootstrap)

    async def positions() -> dict[int, int]:
        wait = backoff.delays(0.5, 10.0)
        while True:
            try:
                return await asyncio.to_thread(resume_positions, client,
                                               settings.consumer_group, settings.topic)
            except KafkaException as exc:
                delay = next(wait)
                log.warning("where the group resumes %s is unknown (%s); asking again in %.1fs",
                            settings.topic, exc, delay)
                await asyncio.sleep(delay)

    return positions
