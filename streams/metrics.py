"""The worker's Prometheus metrics: what it read, stored and rejected, and how fast.

The worker process updates these (`observe_received` per message read, `observe_batch` from
the sink's `on_stored` callback) and serves `render()` on its web port at /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import (CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Gauge,
                               Histogram, PlatformCollector, ProcessCollector, generate_latest)

from store.rows import Batch, ErrorRow

if TYPE_CHECKING:
    from streams.stalls import Stall

log = logging.getLogger(__name__)

# A registry of the worker's own, so an API and a worker in one test process never collide.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

received = Counter("eye_events_received", "Messages read from the events topic",
                   registry=REGISTRY)
stored = Counter("eye_events_stored", "Events stored in the events table", registry=REGISTRY)
rejected = Counter("eye_events_rejected", "Messages stored in the errors table, by reason",
                   ["reason"], registry=REGISTRY)
batch_size = Histogram("eye_batch_size", "Rows (events and errors) per stored batch",
                       buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
                       registry=REGISTRY)
sink_seconds = Histogram("eye_sink_seconds", "Seconds to store one batch, retries included",
                         buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
                                  30, 60),
                         registry=REGISTRY)
ingest_to_stored = Histogram("eye_ingest_to_stored_seconds", "Seconds from a record's Kafka "
                             "timestamp to the commit of its row",
                             buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120,
                                      300, 900, 3600),
                             registry=REGISTRY)
sessions_in_table = Gauge("eye_sessions_in_table", "Sessions held in the worker's session "
                          "table, for the partitions it is assigned", registry=REGISTRY)
holes = Counter("eye_offset_holes", "Runs of offsets Faust did not hand over, read by the "
                "worker from the broker (outcome=read) or left for the next reader "
                "(outcome=unreadable)", ["outcome"], registry=REGISTRY)
for _outcome in ("read", "unreadable"):  # shown as 0 from the start, so rates work at once
    holes.labels(_outcome)
holes_open = Gauge("eye_offset_holes_open", "Holes the worker could not read yet: each holds "
                   "its partition's commit while the worker retries it with backoff",
                   registry=REGISTRY)
worker_up = Gauge("eye_worker_up", "1 while the worker is running with partitions assigned",
                  registry=REGISTRY)

stalled = Gauge("eye_partition_stalled", "Offset at which a partition stands still on a record "
                "batch the worker cannot read; one series per stalled partition, gone when it "
                "moves again", ["topic", "partition", "reason"], registry=REGISTRY)

# Every metric name the worker exports under our prefix (the dashboard test reads this).
NAMES = ("eye_events_received_total", "eye_events_stored_total", "eye_events_rejected_total",
         "eye_batch_size", "eye_sink_seconds", "eye_ingest_to_stored_seconds",
         "eye_sessions_in_table", "eye_worker_up", "eye_offset_holes_total",
         "eye_partition_stalled", "eye_offset_holes_open")


def observe_stall(stall: Stall, standing: bool) -> None:
    """A partition stands still (`standing`) or moves again."""
    labels = (stall.topic, str(stall.partition), stall.reason.split(":", 1)[0])
    if standing:
        stalled.labels(*labels).set(stall.offset)
    else:
        try:
            stalled.remove(*labels)
        except KeyError:
            pass


def observe_received(n: int = 1) -> None:
    """Count messages read from the topic (call once per message, before validation)."""
    received.inc(n)


def observe_batch(batch: Batch, seconds: float, now: float,
                  extra: Iterable[ErrorRow] = ()) -> None:
    """Count one stored batch. `seconds` is the time the sink took to store it and `now` the
    wall clock (time.time()) at its commit. `extra` are the errors the writer added (events
    stored before from another message): those events went to `errors`, not `events`."""
    if not len(batch):
        return  # an incident alone, no messages
    duplicates = list(extra)
    stored.inc(max(len(batch.events) - len(duplicates), 0))
    for e in (*batch.errors, *duplicates):
        rejected.labels(e.reason).inc()
    batch_size.observe(len(batch))
    sink_seconds.observe(seconds)
    for source in (*(r.source for r in batch.events), *(r.source for r in batch.errors)):
        if source.kafka_timestamp is not None:
            ingest_to_stored.observe(max(now - source.kafka_timestamp, 0.0))


def watch_sessions(count: Callable[[], int]) -> None:
    """Read the session table's size at each scrape with `count`."""
    sessions_in_table.set_function(count)


# Below this many keys a partition's sessions are counted exactly; above, RocksDB's estimate
# (which counts overwritten keys until compaction) saves reading every key.
EXACT_BELOW = 50_000
# Keys read between two turns of the event loop while counting.
_SLICE = 1_000


class _TableSize:
    """A table's size as last counted, counted again in the background at each scrape."""

    def __init__(self) -> None:
        self.last = 0
        self.counting: asyncio.Task[None] | None = None

    def start(self, dbs: list[Any], offset_key: bytes) -> None:
        if self.counting is not None and not self.counting.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to count on: the last count stands
            return
        self.counting = loop.create_task(self._count(dbs, offset_key))

    async def _count(self, dbs: list[Any], offset_key: bytes) -> None:
        n = read = 0
        try:
            for db in dbs:
                estimate = getattr(db, "property_int_value", None)  # rocksdict has it
                guess = (estimate("rocksdb.estimate-num-keys") or 0) if estimate else 0
                if guess >= EXACT_BELOW:
                    n += guess
                    continue
                for key in _keys(db):
                    # Each partition's database also holds the key where Faust keeps its offset.
                    if key != offset_key:
                        n += 1
                    read += 1
                    if read % _SLICE == 0:
                        await asyncio.sleep(0)
        except Exception as exc:  # a partition taken away meanwhile: the next scrape recounts
            log.warning("session table not counted: %s", exc)
            return
        self.last = n


def _keys(db: Any) -> Iterable[bytes]:
    if hasattr(db, "keys"):  # rocksdict
        return db.keys()  # type: ignore[no-any-return]
    it = db.iterkeys()  # python-rocksdb
    it.seek_to_first()
    return it  # type: ignore[no-any-return]


_sizes: weakref.WeakKeyDictionary[Any, _TableSize] = weakref.WeakKeyDictionary()


def table_size(table: Any) -> int:
    """How many keys a Faust table holds for its active partitions, cheaply enough for every
    scrape: a scrape reads no key. It answers the last count and starts the next one, which
    reads a slice of keys at a time between other work on the event loop (exact for small
    partitions, RocksDB's estimate for large ones); so the gauge is one scrape behind, and 0
    until the first count is done. len() for the in-memory store, which knows it at once."""
    store = table.data
    actives = getattr(store, "_dbs_for_actives", None)
    if actives is None:
        return len(table)
    size = _sizes.get(table)
    if size is None:
        size = _sizes[table] = _TableSize()
    # The list is taken now: Faust changes its partitions' dict at each rebalance.
    size.start(list(actives()), store.offset_key)
    return size.last


def watch_up(up: Callable[[], bool]) -> None:
    """Read whether the worker is up (running, partitions assigned) at each scrape."""
    worker_up.set_function(lambda: 1.0 if up() else 0.0)


def render() -> tuple[bytes, dict[str, str]]:
    """The body and headers of GET /metrics: the text format every Prometheus reads (0.0.4)."""
    return generate_latest(REGISTRY), {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
