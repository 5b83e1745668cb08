"""Partitions standing still on a record batch the consumer cannot read.

A corrupt batch (a CRC that does not match) or one in a codec the consumer lacks would otherwise
raise out of the fetch and stop the worker, and every restart would read the same batch again.
Instead its partition is paused and recorded here, the other partitions go on, and the health
page, the metrics and one log line name it. The consumer thread writes this registry and the
event loop reads it, so every access holds a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stall:
    topic: str
    partition: int
    # Where reading stopped: every offset before it was handed over.
    offset: int
    # The offsets of the batch that could not be read, when the failure shows them.
    batch: range | None
    # Which exception, and what it said.
    reason: str
    since: float = field(default_factory=time.time, compare=False)

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"topic": self.topic, "partition": self.partition,
                                  "offset": self.offset, "reason": self.reason,
                                  "since": self.since}
        if self.batch is not None:
            out["batch"] = [self.batch.start, self.batch.stop - 1]
        return out


class Stalls:
    """The stalled partitions of this worker, by (topic, partition), with when to try again."""

    def __init__(self, *, first_retry: float = 30.0, max_retry: float = 300.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[Stall, bool], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._stalls: dict[tuple[str, int], Stall] = {}
        self._retry_at: dict[tuple[str, int], tuple[float, float]] = {}
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._clock = clock
        self._on_change = on_change

    def stalled(self, stall: Stall) -> bool:
        """Record a failure to read; True when it is news (a new partition, or a new place or
        reason), which is when it is logged."""
        key = (stall.topic, stall.partition)
        with self._lock:
            before = self._stalls.get(key)
            news = before is None or (before.offset, before.reason) != (stall.offset,
                                                                        stall.reason)
            if news:
                self._stalls[key] = stall
                wait = self._first_retry
            else:  # the same failure again: wait longer before the next try
                wait = min(self._retry_at[key][1] * 2, self._max_retry)
            self._retry_at[key] = (self._clock() + wait, wait)
        if news:
            log.error("%s[%d] stands still at offset %d: a record batch%s cannot be read (%s); "
                      "the other partitions go on. Way past it: docs/operations.md",
                      stall.topic, stall.partition, stall.offset,
                      f" (offsets {stall.batch.start}-{stall.batch.stop - 1})"
                      if stall.batch else "", stall.reason)
            if self._on_change is not None:
                self._on_change(stall, True)
        return news

    def moving(self, topic: str, partition: int) -> Stall | None:
        """The partition reads again; the stall it had, if any."""
        return self._end(topic, partition, logging.WARNING, "moves again after standing still")

    def released(self, topic: str, partition: int) -> None:
        """The partition was taken from this worker; its next owner meets the batch itself."""
        self._end(topic, partition, logging.INFO, "left this worker while standing still")

    def _end(self, topic: str, partition: int, level: int, how: str) -> Stall | None:
        with self._lock:
            stall = self._stalls.pop((topic, partition), None)
            self._retry_at.pop((topic, partition), None)
        if stall is not None:
            log.log(level, "%s[%d] %s at offset %d", topic, partition, how, stall.offset)
            if self._on_change is not None:
                self._on_change(stall, False)
        return stall

    def due(self) -> list[tuple[str, int]]:
        """Stalled partitions whose next try has come."""
        now = self._clock()
        with self._lock:
            return [k for k, (at, _) in self._retry_at.items() if at <= now]

    def get(self, topic: str, partition: int) -> Stall | None:
        with self._lock:
            return self._stalls.get((topic, partition))

    def keys(self) -> set[tuple[str, int]]:
        with self._lock:
            return set(self._stalls)

    def all(self) -> list[Stall]:
        with self._lock:
            return sorted(self._stalls.values(), key=lambda s: (s.topic, s.partition))
