"""When the worker commits an input offset: only once the rows of every message before it are
stored (why and how the offsets are tracked: streams/offsets.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import faust

from streams.offsets import Handled, OffsetTracker


def committer(app: faust.App, offsets: OffsetTracker
              ) -> Callable[[list[Handled]], Awaitable[None]]:
    """The sink's `release`: told which messages' rows are stored, commits what is due."""

    async def release(stored: list[Handled]) -> None:
        offsets.stored(stored)
        due = offsets.committable(app.consumer_generation_id)
        # Faust's own commit path: it flushes the changelog producer first, so table state
        # is durable before the offsets that produced it, and skips revoked partitions.
        if due and await app.consumer._commit_offsets(due):
            offsets.committed(due)

    return release
