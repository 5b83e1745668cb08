"""No table write before the consumer's metadata lists the tables' changelog topics.

A worker creates its tables' changelog topics and subscribes to them a moment later. When the
broker does not list a new topic yet (a loaded broker applies it to its metadata late), aiokafka
leaves the topic out of the consumer's metadata and asks again only at its periodic refresh,
five minutes on. Until then Faust refuses every table write of a group leader (PartitionsMismatch:
"the changelog topic has 0 partitions"), so every message the worker handled became an
`internal_error` row, and the leader assigns the changelog to no worker, so no one restores the
table after a partition moves. Seen in the three-worker drill on a busy machine: 10,008 valid
events in `errors`.

So at the first message of each consumer generation the worker checks that its consumer lists
every changelog topic. While it does not, the metadata is fetched again in the background, and
messages are left unhandled: they are not committed, and the worker reads them as a hole
(streams/offsets.py) or in the next generation. On a leader the new metadata also starts a
rebalance, which assigns the changelogs. The agent does not wait with a message in hand: a
rebalance that found it waiting, right after table writes, left a partition unread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from base import backoff

log = logging.getLogger(__name__)


class Metadata(Protocol):
    def unknown(self) -> list[str]:
        """The topics of interest that the consumer's metadata does not list."""
        ...

    async def refresh(self) -> None:
        """Fetch the consumer's metadata again; return once it is updated."""
        ...


class KnownTopics:
    """Tells, once per consumer generation, whether the consumer's metadata lists the topics,
    and while it does not, fetches the metadata again until it does."""

    def __init__(self, metadata: Metadata, *, first_delay: float = 0.1,
                 max_delay: float = 5.0) -> None:
        self._metadata = metadata
        self._first_delay, self._max_delay = first_delay, max_delay
        self._checked: int | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def ready(self, generation: int) -> bool:
        if generation == self._checked:
            return True
        if not self._metadata.unknown():
            self._checked = generation
            return True
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh())
        return False

    async def _refresh(self) -> None:
        wait = backoff.delays(self._first_delay, self._max_delay)
        while unknown := self._metadata.unknown():
            log.warning("the consumer's metadata does not list %s; fetching it again, "
                        "messages wait till then", ", ".join(unknown))
            await self._metadata.refresh()
            if self._metadata.unknown():
                await asyncio.sleep(next(wait))

    async def wait(self, generation: Callable[[], int]) -> None:
        """For a message that must not be left (a control command): wait until `ready`."""
        while not self.ready(generation()):
            await asyncio.sleep(self._first_delay)


class ConsumerMetadata:
    """The metadata of Faust's aiokafka consumer, which lives in a thread of its own.

    Uses two private parts: Faust's consumer thread (`_thread`, to run the refresh on the
    consumer's loop) and aiokafka's client (`force_metadata_update`, its only way to ask again).
    """

    def __init__(self, consumer: Callable[[], Any], topics: Iterable[str], *,
                 timeout: float = 10.0) -> None:
        self._consumer = consumer  # Faust's consumer; made when the app starts
        self._topics = list(topics)
        self._timeout = timeout

    def unknown(self) -> list[str]:
        aiokafka = self._consumer()._thread._ensure_consumer()
        return [t for t in self._topics if not aiokafka.partitions_for_topic(t)]

    async def refresh(self) -> None:
        thread = self._consumer()._thread
        client = thread._ensure_consumer()._client

        async def update() -> None:
            await client.force_metadata_update()

        try:
            await asyncio.wait_for(thread.call_thread(update), self._timeout)
        except asyncio.TimeoutError:
            log.warning("the consumer's metadata was not fetched within %.0fs", self._timeout)
