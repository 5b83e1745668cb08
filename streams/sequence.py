"""Messages to the ingest logic in offset order per partition, with what Faust skipped read from
the broker first (why: streams/offsets.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from base import backoff
from kafka_edge.hole_reader import HoleUnreadable, Record
from streams import metrics
from streams.offsets import Handled, OffsetTracker

log = logging.getLogger(__name__)

# Messages with their tokens, in the order they are to be handled.
Items = list[tuple[Any, Handled]]
HandleBatch = Callable[[Items], Awaitable[None]]
Handle = Callable[[Any, Handled], Awaitable[None]]
# Where the group resumes each partition of the input topic, by partition number.
ResumePositions = Callable[[], Awaitable[dict[int, int]]]
# The records of a partition whose offsets lie in a range.
ReadHole = Callable[[int, range], Awaitable[list[Record]]]


@dataclass
class _Unread:
    """A hole the broker did not give: its commit is held until a retry reads it."""

    where: str
    hole: range
    generation: int
    waits: Iterator[float]
    due: float
    attempts: int = 1


class Sequencer:
    """A hole that cannot be read is tried again, with backoff, when a later message of its
    partition arrives, not waited for in the way: that would stop every partition while the
    broker cannot give it. Its records then come after later ones. Each still gets its row;
    a session that took in a later event already leaves them out of its counts, as it would
    for the partition's next owner (streams/sessions.py), and `rebuild_session` recounts it."""

    def __init__(self, offsets: OffsetTracker, handle: HandleBatch, *,
                 resume_positions: ResumePositions, read_hole: ReadHole,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.offsets = offsets
        self._handle = handle
        self._resume_positions = resume_positions
        self._read_hole = read_hole
        self._clock = clock
        # Asked once per generation, at its first message: the group's offsets cannot move
        # for a partition of ours before we commit it, and we commit only after beginning it.
        self._resumed: tuple[int, dict[int, int]] | None = None
        self._unread: dict[Hashable, list[_Unread]] = {}

    async def __call__(self, messages: list[Any]) -> None:
        """Hand a batch of delivered messages over in one call, each after what Faust
        skipped before it."""
        items: Items = []
        for message in messages:
            h = Handled(message.tp, message.offset, message.generation_id or 0)
            if self.offsets.starting(h):
                self.offsets.begin(h.tp, h.generation,
                                   await self._resume_at(h.generation, message.partition))
            if h.tp in self._unread:
                items += await self._retry(h, message)
            hole = self.offsets.hole_before(h)
            if hole is not None:
                items += await self._fill(h, message, hole)
            self.offsets.handled(h)
            items.append((message, h))
        await self._handle(items)

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
            await self._handle(await self._fill(h, first, hole))
        for record in records or [first]:
            token = Handled(tp, record.offset, generation)
            self.offsets.handled(token)
            await set_aside(record, token)
        self.offsets.closed(h, batch)

    async def _resume_at(self, generation: int, partition: int) -> int:
        if self._resumed is None or self._resumed[0] != generation:
            self._resumed = (generation, await self._resume_positions())
        return self._resumed[1][partition]

    async def _fill(self, h: Handled, message: Any, hole: range) -> Items:
        where = f"{message.topic}[{message.partition}]"
        log.warning("%s: offsets %d to %d were not handed over; reading them from the broker",
                    where, hole.start, hole.stop - 1)
        try:
            records = await self._read_hole(message.partition, hole)
        except HoleUnreadable as exc:
            # The hole stays open, its commit held, until a retry reads it (or the next owner
            # of the partition does).
            waits = backoff.delays(1.0, 60.0)
            self._unread.setdefault(h.tp, []).append(
                _Unread(where, hole, h.generation, waits, self._clock() + next(waits)))
            log.error("%s: offsets %d to %d unreadable (%s); commits stay below offset %d, "
                      "retrying with backoff", where, hole.start, hole.stop - 1, exc, hole.start)
            metrics.holes.labels("unreadable").inc()
            self._count_open()
            return []
        return self._hole_items(h, hole, records)

    async def _retry(self, h: Handled, message: Any) -> Items:
        """Try again the unread holes of `h`'s partition whose wait is over."""
        items: Items = []
        kept: list[_Unread] = []
        for u in self._unread.pop(h.tp):
            if h.generation > u.generation:
                # The group resumes below the hole, so the new generation reads it anyway.
                log.info("%s: offsets %d to %d left to generation %d, which reads them again",
                         u.where, u.hole.start, u.hole.stop - 1, h.generation)
                continue
            if h.generation < u.generation or self._clock() < u.due:
                kept.append(u)
                continue
            try:
                records = await self._read_hole(message.partition, u.hole)
            except HoleUnreadable as exc:
                u.attempts += 1
                u.due = self._clock() + next(u.waits)
                log.debug("%s: offsets %d to %d still unreadable (%s), attempt %d", u.where,
                          u.hole.start, u.hole.stop - 1, exc, u.attempts)
                kept.append(u)
                continue
            log.warning("%s: offsets %d to %d read at attempt %d; commits go on", u.where,
                        u.hole.start, u.hole.stop - 1, u.attempts + 1)
            items += self._hole_items(Handled(h.tp, u.hole.start, u.generation), u.hole, records)
        if kept:
            self._unread[h.tp] = kept
        self._count_open()
        return items

    def _hole_items(self, h: Handled, hole: range, records: list[Record]) -> Items:
        items: Items = []
        for record in records:
            filled = Handled(h.tp, record.offset, h.generation)
            self.offsets.handled(filled)
            items.append((record, filled))
        self.offsets.closed(h, hole)
        metrics.holes.labels("read").inc()
        return items

    def _count_open(self) -> None:
        metrics.holes_open.set(sum(len(us) for us in self._unread.values()))
