"""Consumer lag measured from the broker: right whether the worker runs or not.

Per partition of the topic: the log end offset (high watermark), the group's committed offset,
and their difference. The lag in seconds is exact, not estimated: a short-lived consumer (in
no group, committing nothing) reads the record at the committed offset of each lagging
partition, and the lag is now minus that record's timestamp, the oldest record the group has
yet to store. A group that committed nothing for a partition starts from the log start (the
worker reads from the earliest offset), so its position there is the low watermark.

Every call here blocks on the network with timeouts; `LagMonitor` runs them in a thread and
keeps the answer for a couple of seconds so that scrapes and page refreshes stay cheap.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from base.errors import EyeError
from base.web import SETTINGS
from kafka_edge.clients import AdminClient, KafkaException, TopicPartition, admin, reader
from kafka_edge.positions import patience, positions, resume_at


class LagUnavailable(EyeError):
    """The broker did not say where the group stands (unreachable, or no such topic)."""


@dataclass(frozen=True, slots=True)
class PartitionLag:
    partition: int
    low: int  # the log start offset
    high: int  # the log end offset: the next offset to be written
    committed: int | None  # the group's committed offset; None when it committed nothing
    timestamp: float | None  # of the oldest unconsumed record, seconds since the epoch

    @property
    def position(self) -> int:
        """Where the group resumes: its committed offset, or the log start."""
        return resume_at(self.low, self.committed)

    @property
    def lag(self) -> int:
        return max(self.high - self.position, 0)

    def lag_seconds(self, now: float) -> float:
        if self.lag == 0 or self.timestamp is None:
            return 0.0
        return max(now - self.timestamp, 0.0)


@dataclass(frozen=True, slots=True)
class Lag:
    """One measurement of a group on a topic."""

    group: str
    topic: str
    partitions: list[PartitionLag]
    measured_at: float  # seconds since the epoch

    @property
    def total(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def max_seconds(self) -> float:
        return max((p.lag_seconds(self.measured_at) for p in self.partitions), default=0.0)

    @property
    def produced(self) -> int:
        """Offsets written to the topic so far, all partitions together."""
        return sum(p.high for p in self.partitions)

    @property
    def consumed(self) -> int:
        """Offsets the group has stored and committed, all partitions together."""
        return sum(p.position for p in self.partitions)


def measure(bootstrap: str, group: str, topic: str, *, timeout: float = 5.0,
            client: AdminClient | None = None, now: Callable[[], float] = time.time) -> Lag:
    """Ask the broker where `group` stands on `topic`. Blocks up to about twice `timeout`."""
    client = client or admin(bootstrap)
    started = time.monotonic()
    while True:
        try:
            low, high, committed = positions(client, group, topic, timeout)
            break
        except KafkaException as exc:
            err = exc.args[0]
            if time.monotonic() < started + patience(err, timeout):
                time.sleep(0.1)
                continue
            why = err.str() if hasattr(err, "str") else str(err)
            raise LagUnavailable(f"no lag for group {group!r} on topic {topic!r}: {why}") from exc
    parts = [PartitionLag(p, low[p], high[p], committed.get(p), None) for p in sorted(high)]
    stamps = oldest_timestamps(bootstrap, topic, {p.partition: p.position for p in parts
                                                  if p.lag}, timeout=min(timeout, 2.0))
    parts = [PartitionLag(p.partition, p.low, p.high, p.committed, stamps.get(p.partition))
             for p in parts]
    return Lag(group, topic, parts, now())


def oldest_timestamps(bootstrap: str, topic: str, positions: dict[int, int], *,
                      timeout: float) -> dict[int, float]:
    """The timestamp (seconds since the epoch) of the first record at or after each position.

    Reads one record per partition with a consumer of no group that commits nothing; a
    partition whose record does not arrive within `timeout` is left out.
    """
    if not positions:
        return {}
    consumer = reader(bootstrap, "lag-probe", {"fetch.wait.max.ms": 50,
                                               "socket.timeout.ms": int(timeout * 1000),
                                               "enable.partition.eof": False})
    found: dict[int, float] = {}
    try:
        consumer.assign([TopicPartition(topic, p, o) for p, o in positions.items()])
        deadline = time.monotonic() + timeout
        while len(found) < len(positions) and time.monotonic() < deadline:
            msg = consumer.poll(0.1)
            if msg is None or msg.error() is not None or msg.partition() in found:
                continue
            _kind, millis = msg.timestamp()
            if millis >= 0:
                found[msg.partition()] = millis / 1000
            consumer.incremental_unassign([TopicPartition(topic, msg.partition())])
    finally:
        consumer.close()
    return found


@dataclass
class Rates:
    """Offsets per second over the recent window; None until two measurements exist."""

    produced: float | None
    consumed: float | None


class LagMonitor:
    """Cached, non-blocking lag for an asyncio process: one measurement per `max_age` seconds
    however many callers ask, run in a thread."""

    def __init__(self, bootstrap: str, group: str, topic: str, *, max_age: float = 2.0,
                 timeout: float = 2.0, wait: float = 6.0, rate_window: float = 30.0) -> None:
        self.bootstrap, self.group, self.topic = bootstrap, group, topic
        # `timeout` bounds each broker request; `wait` bounds a caller's wait, under
        # Prometheus' default scrape timeout of 10 s.
        self.max_age, self.timeout, self.wait = max_age, timeout, wait
        self.rate_window = rate_window
        self._last: Lag | None = None
        self._error: str | None = None
        self._taken = 0.0  # monotonic time of the last answer or failure
        self._lock = asyncio.Lock()
        self._running: asyncio.Future[Lag] | None = None
        self._history: deque[tuple[float, int, int]] = deque(maxlen=64)
        self._admin: AdminClient | None = None

    async def current(self) -> Lag:
        """The latest measurement, fresh within `max_age`; raises LagUnavailable."""
        async with self._lock:
            if time.monotonic() - self._taken < self.max_age:
                if self._last is not None:
                    return self._last
                if self._error is not None:
                    raise LagUnavailable(self._error)
            # A measurement that outlived its caller's wait is joined, not started again: one
            # thread at most talks to a slow broker.
            if self._running is None or self._running.done():
                self._running = asyncio.ensure_future(asyncio.to_thread(self._measure))
            try:
                lag = await asyncio.wait_for(asyncio.shield(self._running), timeout=self.wait)
            except (LagUnavailable, TimeoutError) as exc:
                self._last, self._taken = None, time.monotonic()
                self._error = str(exc) or f"no answer from {self.bootstrap} in {self.wait}s"
                raise LagUnavailable(self._error) from exc
            self._last, self._taken, self._error = lag, time.monotonic(), None
            self._history.append((self._taken, lag.produced, lag.consumed))
            return lag

    def cached(self) -> Lag | None:
        """The last measurement if still fresh, without waiting."""
        if self._last is not None and time.monotonic() - self._taken < self.max_age:
            return self._last
        return None

    def rates(self) -> Rates:
        """Produced and consumed offsets per second, between the newest measurement and the
        oldest one within `rate_window` seconds of it."""
        if len(self._history) < 2:
            return Rates(None, None)
        t1, p1, c1 = self._history[-1]
        older = [h for h in self._history if t1 - h[0] <= self.rate_window and h[0] < t1]
        if not older:
            return Rates(None, None)
        t0, p0, c0 = older[0]
        dt = t1 - t0
        return Rates(max(p1 - p0, 0) / dt, max(c1 - c0, 0) / dt)

    def _measure(self) -> Lag:
        if self._admin is None:
            self._admin = admin(self.bootstrap, {"reconnect.backoff.ms": 500})
        return measure(self.bootstrap, self.group, self.topic, timeout=self.timeout,
                       client=self._admin)


# The API server's one LagMonitor in its aiohttp application state: /metrics, the live page
# and the lag subscription share its cached measurement.
LAG = web.AppKey("lag_monitor", LagMonitor)


def lag_monitor(app: web.Application) -> LagMonitor:
    """The application's one LagMonitor (made on first use, before the app starts)."""
    if LAG not in app:
        settings = app[SETTINGS]
        app[LAG] = LagMonitor(settings.kafka_bootstrap, settings.consumer_group, settings.topic)
    return app[LAG]
