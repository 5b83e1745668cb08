"""Messages to the ingest logic in offset order per partition, with what Faust skipped read from
the broker first (why: streams/offsets.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from monitor import worker_metrics as metrics
from streams.gaps import HoleUnreadable, Record
from streams.offsets import Handled, OffsetTracker

log = logging.getLogger(__name__)

Handle = Callable[[Any, Handled], Awaitable[None]]
# Where the group resumes each partition of the input topic, by partition number.
ResumePositions = Callable[[], Awaitable[dict[int, int]]]
# The records of a partition whose offsets lie in a range.
ReadHole = Callable[[int, range], Awaitable[list[Record]]]


class Sequencer:
    def __init__(self, offsets: OffsetTracker, handle: Handle, *,
                 resume_positions: ResumePositions, read_hole: ReadHole) -> None:
        self.offsets = offsets
        self._handle = handle
        self._resume_positions = resume_positions
        self._read_hole = read_hole
        # Asked once per generation, at its first message: the group's offsets cannot move
        # for a partition of ours before we commit it, and we commit only after beginning it.
        self._resumed: tuple[int, dict[int, int]] | None = None

    async def __call__(self, message: Any) -> None:
        h = Handled(message.tp, message.offset, message.generation_id or 0)
        if self.offsets.starting(h):
            self.offsets.begin(h.tp, h.generation,
                               await self._resume_at(h.generation, message.partition))
        hole = self.offsets.hole_before(h)
        if hole is not None:
            await self._fill(h, message, hole)
        self.offsets.handled(h)
        await self._handle(message, h)

    async def set_aside(self, tp: Any, generation: int, batch: range,
                        records: list[Record] | None, set_aside: Handle) -> None:
        """Hand the records of a batch the consumer could not read (`records`, as another client
        read them, or None when none could) to `set_aside`, in order, as if they had been
        delivered: what comes before them is read first, and the offsets after them are due."""
        first = records[0] if records else Record(tp.topic, tp.partition, batch.start, None,
                                                  None, [], None)
        h = Handled(tp, batch.start, generation)
        if self.offsets.starting(h):
            self.offsets.begin(tp, generation, await self._resume_at(generation, tp.partition))
        hole = self.offsets.hole_before(h)
        if hole is not None:
            await self._fill(h, first, hole)
        for record in records or [first]:
            token = Handled(tp, record.offset, generation)
            self.offsets.handled(token)
            await set_aside(record, token)
        self.offsets.closed(h, batch)

    async def _resume_at(self, generation: int, partition: int) -> int:
        if self._resumed is None or self._resumed[0] != generation:
            self._resumed = (generation, await self._resume_positions())
        return self._resumed[1][partition]

    async def _fill(self, h: Handled, message: Any, hole: range) -> None:
        where = f"{message.topic}[{message.partition}]"
        log.warning("%s: offsets %d to %d were not handed over; reading them from the broker",
                    where, hole.start, hole.stop - 1)
        try:
            records = await self._read_hole(message.partition, hole)
        except HoleUnreadable as exc:
            # The hole stays open: commits stay below it, and the next owner reads it.
            log.error("%s; commits of %s stay below offset %d", exc, where, hole.start)
            metrics.holes.labels("unreadable").inc()
            return
        for record in records:
            filled = Handled(h.tp, record.offset, h.generation)
            self.offsets.handled(filled)
            await self._handle(record, filled)
        self.offsets.closed(h, hole)
        metrics.holes.labels("read").inc()
