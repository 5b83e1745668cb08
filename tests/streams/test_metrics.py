"""The worker's metrics: what it read, stored and rejected, and how fast."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

from store.rows import Batch, ErrorRow, EventRow, Source
from streams import metrics as worker_metrics
from streams.stalls import Stall
from tests.fixtures.metrics import samples


def _source(offset: int, ts: float | None) -> Source:
    return Source("t", 0, offset, b"{}", "{}", datetime.now(UTC), ts)


def value(name: str, **labels: str) -> float:
    return worker_metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_observe_batch_counts_stored_rejected_and_latency() -> None:
    before = {n: value(n) for n in ("eye_events_stored_total", "eye_batch_size_count",
                                    "eye_sink_seconds_sum", "eye_ingest_to_stored_seconds_count",
                                    "eye_ingest_to_stored_seconds_sum")}
    bad = value("eye_events_rejected_total", reason="malformed_json")
    dup = value("eye_events_rejected_total", reason="duplicate_event")
    now = 1_000_000.0
    events = [EventRow(uuid4(), "s", "page interaction", "pageview", "{}", datetime.now(UTC),
                       1, _source(i, now - 2.0)) for i in range(3)]
    errors = [ErrorRow("malformed_json", "x", 1, _source(10, now - 4.0)),
              ErrorRow("malformed_json", "y", 1, _source(11, None))]
    worker_metrics.observe_batch(Batch(events, errors, {}, []), 0.5, now,
                                 extra=[ErrorRow("duplicate_event", "z", 1, events[0].source)])
    assert value("eye_events_stored_total") - before["eye_events_stored_total"] == 2
    assert value("eye_events_rejected_total", reason="malformed_json") - bad == 2
    assert value("eye_events_rejected_total", reason="duplicate_event") - dup == 1
    assert value("eye_batch_size_count") - before["eye_batch_size_count"] == 1
    assert value("eye_sink_seconds_sum") - before["eye_sink_seconds_sum"] == 0.5
    # Four rows had a Kafka timestamp: three 2 s old, one 4 s old.
    assert value("eye_ingest_to_stored_seconds_count") - \
        before["eye_ingest_to_stored_seconds_count"] == 4
    assert value("eye_ingest_to_stored_seconds_sum") - \
        before["eye_ingest_to_stored_seconds_sum"] == 10.0

    received = value("eye_events_received_total")
    worker_metrics.observe_received()
    assert value("eye_events_received_total") == received + 1

    worker_metrics.watch_sessions(lambda: 42)
    worker_metrics.watch_up(lambda: True)
    stall = Stall("eye-events", 3, 17, range(17, 20), "CorruptRecordException: Invalid CRC")
    worker_metrics.observe_stall(stall, True)
    body, headers = worker_metrics.render()
    got = samples(body.decode())
    assert got["eye_partition_stalled"] == [({"topic": "eye-events", "partition": "3",
                                              "reason": "CorruptRecordException"}, 17.0)]
    worker_metrics.observe_stall(stall, False)
    assert "eye_partition_stalled" not in samples(worker_metrics.render()[0].decode())
    assert headers == {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    assert got["eye_sessions_in_table"] == [({}, 42.0)]
    assert got["eye_worker_up"] == [({}, 1.0)]
    for name in worker_metrics.NAMES:
        assert name in got or f"{name}_count" in got, name


class FakeDB:
    """A partition's RocksDB as the session table holds it: keys, and RocksDB's estimate."""

    def __init__(self, keys: list[bytes], estimate: int | None = None) -> None:
        self._keys = keys
        self.estimate = len(keys) if estimate is None else estimate
        self.read = 0

    def property_int_value(self, name: str) -> int:
        assert name == "rocksdb.estimate-num-keys"
        return self.estimate

    def keys(self) -> Iterator[bytes]:
        for k in self._keys:
            self.read += 1
            yield k


class FakeTable:
    def __init__(self, dbs: list[FakeDB]) -> None:
        self.data = SimpleNamespace(_dbs_for_actives=lambda: iter(dbs), offset_key=b"__offset")


def sessions_gauge() -> float:
    got = samples(worker_metrics.render()[0].decode())
    return got["eye_sessions_in_table"][0][1]


async def test_a_scrape_reads_no_keys_of_the_session_table() -> None:
    small = FakeDB([b"__offset", *(b"s%d" % i for i in range(30_000))])
    big = FakeDB([], estimate=900_000)  # past EXACT_BELOW: RocksDB's estimate, never walked
    table = FakeTable([small, big])
    worker_metrics.watch_sessions(lambda: worker_metrics.table_size(table))
    sessions_gauge()
    assert small.read == 0  # the walk happens beside the scrape, not in it
    turns = 0
    while small.read < 30_001:  # ... and gives the loop a turn at least every 1,000 keys
        before = small.read
        await asyncio.sleep(0)
        turns += 1
        assert small.read - before <= 1_000
        assert turns < 1_000
    await asyncio.sleep(0)
    assert sessions_gauge() == 930_000.0 and big.read == 0
    while small.read < 2 * 30_001:  # let the count that scrape started finish
        await asyncio.sleep(0)
