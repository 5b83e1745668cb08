"""Freshness under steady load: seconds from a message's Kafka timestamp to its row being visible.

Measured from outside the worker. Every 10th message (load.MARKER_EVERY) is a valid event whose
`event_id` the probe knows, with the time it was handed to the producer (librdkafka stamps its
CreateTime in that same call, to the millisecond). Every 50 ms the probe asks PostgreSQL which of
the markers still missing are there (`SELECT id, received_at FROM events WHERE id = ANY(...)`,
the 2,000 oldest at most) and notes when each first appears, so a figure includes up to 50 ms
of polling. Beside it, the worker's own histogram `eye_ingest_to_stored_seconds` (Kafka
timestamp to commit, every row), read from its /metrics after the warm-up and after the drain,
its percentiles interpolated within buckets as Prometheus' histogram_quantile does.

The backlog is the markers sent and not yet visible, times 10, sampled every second: the
worker fell behind when it grew over the run by more than one second of load (least-squares
slope times the run's length), or when a marker was still missing as the drain gave up.
"""

from __future__ import annotations

import itertools
import math
import statistics
import threading
import time
import urllib.request
import uuid
from typing import Any

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from base.settings import Settings
from bench import load
from eye.loadgen import Pacer
from tests.fixtures.processes import WorkerProcess

POLL = 0.05
OLDEST = 2000
WARMUP = 5.0
BEHIND = 1.0  # seconds of load the backlog may grow by over the run before it counts as behind
HISTOGRAM = "eye_ingest_to_stored_seconds"


class Probe(threading.Thread):
    """Looks for marker rows in PostgreSQL every POLL seconds, in a thread of its own."""

    def __init__(self, dsn: str) -> None:
        super().__init__(name="freshness-probe", daemon=True)
        self._dsn = dsn
        self._lock = threading.Lock()
        # event id -> (Kafka timestamp, counted), oldest first; warm-up markers are looked for
        # (they are part of the backlog) but not counted
        self._pending: dict[uuid.UUID, tuple[float, bool]] = {}
        self._done = threading.Event()
        self.visible: list[float] = []  # seconds from Kafka timestamp to the row seen
        self.read: list[float] = []  # seconds from Kafka timestamp to the worker's received_at
        self.backlog: list[tuple[float, int]] = []  # (time, markers sent and not visible)
        self.last_seen = 0.0

    def add(self, event_id: uuid.UUID, kafka_timestamp: float, counted: bool = True) -> None:
        with self._lock:
            self._pending[event_id] = (kafka_timestamp, counted)

    @property
    def missing(self) -> int:
        return len(self._pending)

    @property
    def missing_counted(self) -> int:
        with self._lock:
            return sum(1 for _, counted in self._pending.values() if counted)

    def run(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            sample = time.time()
            while not self._done.is_set():
                started = time.monotonic()
                with self._lock:
                    ids = list(itertools.islice(self._pending, OLDEST))
                if ids:
                    rows = conn.execute("SELECT id, received_at FROM events WHERE id = ANY(%s)",
                                        (ids,)).fetchall()
                    now = time.time()
                    with self._lock:
                        for id_, received_at in rows:
                            created, counted = self._pending.pop(id_)
                            if counted:
                                self.visible.append(now - created)
                                self.read.append(received_at.timestamp() - created)
                    if rows:
                        self.last_seen = now
                if time.time() >= sample:
                    self.backlog.append((time.time(), self.missing))
                    sample += 1.0
                self._done.wait(max(0.0, POLL - (time.monotonic() - started)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def percentiles(values: list[float], missing: int = 0) -> dict[str, float | None]:
    """p50/p95/p99 (nearest rank); a marker never seen counts as endless, and a percentile
    that falls on one is None."""
    ordered = sorted(values) + [math.inf] * missing
    if not ordered:
        return {"p50": None, "p95": None, "p99": None}
    out: dict[str, float | None] = {}
    for q in (50, 95, 99):
        v = ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]
        out[f"p{q}"] = None if math.isinf(v) else round(v, 4)
    return out


def histogram(port: int) -> dict[float, float]:
    """The worker's cumulative bucket counts of HISTOGRAM, by upper bound."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    for family in text_string_to_metric_families(text):
        if family.name == HISTOGRAM:
            return {float(s.labels["le"]): s.value for s in family.samples
                    if s.name.endswith("_bucket")}
    return {}


def bucket_quantile(q: float, before: dict[float, float], after: dict[float, float]
                    ) -> float | None:
    """The q-quantile of what was observed between two readings of a histogram."""
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    if not counts or counts[-1][1] <= 0:
        return None
    rank = q * counts[-1][1]
    low, below = 0.0, 0.0
    for le, c in counts:
        if c >= rank:
            if math.isinf(le):
                return low  # past the last bound: that bound, as Prometheus answers
            return round(low + (le - low) * (rank - below) / (c - below), 4) if c > below else le
        low, below = le, c
    return None


def growth(samples: list[tuple[float, int]]) -> float:
    """Backlog growth in events per second (least squares over the samples)."""
    if len({t for t, _ in samples}) < 2:
        return 0.0
    slope, _ = statistics.linear_regression([t for t, _ in samples],
                                            [n * load.MARKER_EVERY for _, n in samples])
    return slope


def run(settings: Settings, app_key: str, worker: WorkerProcess, *, rate: float,
        seconds: float, sessions: int, seed: int = 3) -> dict[str, Any]:
    """Send the plan at `rate` for WARMUP + `seconds` to a started worker, wait for the last
    marker (at most max(seconds, 10) s more), and measure."""
    items = load.plan(int(rate * (WARMUP + seconds)), sessions=sessions, rate=rate, seed=seed)
    sender = load.Sender(settings.kafka_bootstrap, settings.topic, app_key)
    probe = Probe(settings.dsn)
    before: dict[float, float] | None = None
    probe.start()
    pacer = Pacer(rate)
    started = time.time()
    for p in items:
        pacer.wait()
        created = time.time()
        doc = sender.send(p)
        counted = created - started >= WARMUP
        if counted and before is None:
            before = histogram(settings.worker_port)
        if p.marker:
            probe.add(uuid.UUID(doc["event_id"]), created, counted)
    stopped = time.time()
    sender.flush()
    backlog = [s for s in probe.backlog if started + WARMUP <= s[0] <= stopped]
    drain = max(seconds, 10.0)
    deadline = time.time() + drain
    while probe.missing and time.time() < deadline:
        time.sleep(0.1)
    probe.stop()
    after = histogram(settings.worker_port)
    slope = growth(backlog)
    missing = probe.missing_counted
    return {
        "rate": rate, "seconds": seconds, "warmup_seconds": WARMUP,
        "sent_events_per_s": round(len(items) / (stopped - started)),
        "markers": len(probe.visible) + missing, "markers_never_seen": missing,
        "visible": percentiles(probe.visible, missing),
        "read_by_worker": percentiles(probe.read),
        "worker_histogram": {f"p{q}": bucket_quantile(q / 100, before or {}, after)
                             for q in (50, 95, 99)},
        "backlog_end_events": backlog[-1][1] * load.MARKER_EVERY if backlog else 0,
        "backlog_growth_events_per_s": round(slope, 1),
        "drain_seconds": None if missing else round(max(probe.last_seen - stopped, 0.0), 2),
        "drain_limit_seconds": drain,
        "fell_behind": bool(missing) or slope * seconds > rate * BEHIND,
        "worker_rss_mb": round(worker.rss_bytes() / 2**20),
    }
