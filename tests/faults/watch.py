"""Watching a drill from outside, as an operator would: the worker's /healthz and the group's
committed offsets every second (how long a partition with lag stood still), and every exit of
the worker process that the drill did not cause."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from tests.fixtures.processes import WorkerProcess

# Warnings every loaded worker logs; they would bury the ones that explain a failure.
QUIET = ("buffer full", "is overlapping", "Heartbeat failed")


def positions(admin: AdminClient, group: str, topic: str, partitions: int,
              timeout: float = 5.0) -> dict[int, tuple[int, int]]:
    """partition -> (where the group resumes, log end offset), from the broker."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    ends = admin.list_offsets({tp: OffsetSpec.latest() for tp in tps}, request_timeout=timeout)
    high = {tp.partition: f.result().offset for tp, f in ends.items()}
    got = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
                                            request_timeout=timeout)[group].result()
    committed = {tp.partition: tp.offset for tp in got.topic_partitions
                 if tp.error is None and tp.offset >= 0}
    return {p: (committed.get(p, 0), high[p]) for p in high}


@dataclass
class Standstill:
    """The longest time each partition's committed offset stayed put while it had lag."""

    since: dict[int, tuple[int, float]] = field(default_factory=dict)  # p -> (offset, since)
    longest: dict[int, tuple[float, float]] = field(default_factory=dict)  # p -> (s, from)

    def observe(self, at: float, where: dict[int, tuple[int, int]]) -> None:
        for p, (committed, end) in where.items():
            before = self.since.get(p)
            if end <= committed:  # nothing to read: standing is not standing still
                self.since.pop(p, None)
            elif before is None or before[0] != committed:
                self.since[p] = (committed, at)
            elif at - before[1] > self.longest.get(p, (0.0, 0.0))[0]:
                self.longest[p] = (at - before[1], before[1])


class Watch(threading.Thread):
    """Every second: /healthz and the committed offsets, until `stop` is set."""

    def __init__(self, worker: WorkerProcess, partitions: int, started: float) -> None:
        super().__init__(daemon=True, name="soak-watch")
        self.worker, self.partitions, self.started = worker, partitions, started
        s = worker.settings
        self.admin = AdminClient({"bootstrap.servers": s.kafka_bootstrap})
        self.stop = threading.Event()
        self.health: Counter[str] = Counter()  # ok / degraded / no answer
        self.stalled: dict[tuple[int, int], str] = {}  # (partition, offset) -> reason
        self.standstill = Standstill()
        self.max_lag = 0
        self.unmeasured = 0  # seconds the broker did not say where the group stands
        self.last: dict[int, tuple[int, int]] = {}

    def run(self) -> None:
        s = self.worker.settings
        while not self.stop.wait(max(0.0, 1.0 - (time.monotonic() - self.started) % 1.0)):
            at = time.monotonic() - self.started
            h = self.worker.health()
            self.health["no answer" if h is None else str(h.get("status"))] += 1
            for st in (h or {}).get("stalled", []):  # type: ignore[attr-defined]
                self.stalled[(st["partition"], st["offset"])] = str(st["reason"])[:200]
            try:
                where = positions(self.admin, s.consumer_group, s.topic, self.partitions)
            except KafkaException:
                self.unmeasured += 1
                continue
            self.last = where
            self.max_lag = max(self.max_lag, sum(e - c for c, e in where.values()))
            self.standstill.observe(at, where)

    def close(self) -> None:
        """Drop the admin client, which would call a stopped broker for the rest of the session."""
        self.stop.set()
        self.join(10)
        self.admin = None  # type: ignore[assignment]


class Exits(threading.Thread):
    """Records every exit of the worker's process that happens outside `expected()`."""

    def __init__(self, worker: WorkerProcess, started: float) -> None:
        super().__init__(daemon=True, name="soak-exits")
        self.worker, self.started = worker, started
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.unexpected: list[str] = []
        self._seen: set[int] = set()

    @contextmanager
    def expected(self) -> Iterator[None]:
        with self.lock:
            yield

    def run(self) -> None:
        while not self.stop.wait(0.2):
            with self.lock:
                proc = self.worker.proc
                if proc is None or proc.poll() is None or id(proc) in self._seen:
                    continue
                self._seen.add(id(proc))
                at = time.monotonic() - self.started
                self.unexpected.append(f"worker exited with {proc.returncode} at {at:.1f}s; "
                                       f"its log ends:\n{self.worker.log_tail(30)}")


def complaints(worker: WorkerProcess, n: int = 15) -> str:
    """The last warnings and errors the worker logged, each once: what a failed drill needs."""
    lines = list(dict.fromkeys(
        ln.split("] ", 1)[-1] for ln in worker.log_path.read_text(errors="replace").splitlines()
        if ("[ERROR]" in ln or "[WARNING]" in ln) and not any(q in ln for q in QUIET)))
    return "the worker's last warnings: " + ("\n  ".join(["", *lines[-n:]]) if lines else "none")
