"""A record batch the consumer cannot read stalls its partition, not the worker; `eye set-aside`
keeps it as error rows and the partition reads on. The batches are broken on the broker's disk,
as a bad disk or a client with an unknown codec would leave them."""

from __future__ import annotations

import os
import struct
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
from aiokafka.record.util import calc_crc32c
from confluent_kafka import Producer

from base.settings import Settings
from kafka_edge.clients import APP_KEY_HEADER, PRODUCER_DEFAULTS
from kafka_edge.topics import ensure_topics
from tests.fixtures.processes import ROOT, settings_env
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.services import STATE
from tests.fixtures.stack import WorkerProcess

CRC_AT, ATTRIBUTES_AT = 17, 21  # in a v2 record batch: after offset, length, epoch, magic


def event(sid: str, path: str) -> bytes:
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return orjson.dumps({"session_id": sid, "category": "page interaction", "name": "pageview",
                         "data": {"host": "h", "path": path}, "timestamp": at})


def send(settings: Settings, app_key: str, partition: int, path: str) -> None:
    """One message in a batch of its own."""
    p = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap})
    sid = str(uuid.uuid4())
    p.produce(settings.topic, key=sid.encode(), value=event(sid, path), partition=partition,
              headers=[(APP_KEY_HEADER, app_key.encode())])
    assert p.flush(30) == 0


def break_batch(settings: Settings, partition: int, offset: int, how: str) -> None:
    """Change the batch at `offset` in the partition's log segment, in place."""
    segment = STATE / "kafka" / "data" / f"{settings.topic}-{partition}" / f"{0:020d}.log"
    with segment.open("r+b") as f:
        buf = bytearray(f.read())
        pos = 0
        while struct.unpack_from(">q", buf, pos)[0] != offset:
            pos += 12 + struct.unpack_from(">i", buf, pos + 8)[0]
        end = pos + 12 + struct.unpack_from(">i", buf, pos + 8)[0]
        if how == "crc":  # a flipped bit in the value, as a bad disk leaves it
            at = buf.index(b"/broken", pos, end)
            buf[at + 1] ^= 0x01
        else:  # codec 7, which no client knows, with a CRC that matches
            attributes = struct.unpack_from(">h", buf, pos + ATTRIBUTES_AT)[0]
            struct.pack_into(">h", buf, pos + ATTRIBUTES_AT, (attributes & ~0x07) | 0x07)
            struct.pack_into(">I", buf, pos + CRC_AT, calc_crc32c(bytes(buf[pos + ATTRIBUTES_AT:end])))
        f.seek(pos)
        f.write(buf[pos:end])
        f.flush()
        os.fsync(f.fileno())


def stalled(worker: WorkerProcess) -> dict[int, dict[str, object]]:
    health = worker.health() or {}
    return {s["partition"]: s for s in health.get("stalled", [])}  # type: ignore[attr-defined]


def wait_until(check, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def set_aside(settings: Settings, partition: int) -> None:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "eye"), "set-aside", "--partition",
                           str(partition)], env={**os.environ, **settings_env(settings)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_unreadable_batches_stall_their_partition_until_set_aside(
        settings: Settings, app_key: str, tmp_path: Path) -> None:
    ensure_topics(settings)
    # Partitions 0 and 1 get a good batch, a broken one, a good one; partition 2 only good ones.
    for partition in (0, 1, 2):
        send(settings, app_key, partition, f"/before/{partition}")
        send(settings, app_key, partition, f"/broken/{partition}")
        send(settings, app_key, partition, f"/after/{partition}")
    break_batch(settings, 0, 1, "crc")
    break_batch(settings, 1, 1, "codec")

    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        wait_for_rows(settings.dsn, 5)  # offset 0 of partitions 0 and 1, all of partition 2
        wait_until(lambda: set(stalled(worker)) == {0, 1})
        stalls = stalled(worker)
        assert stalls[0]["offset"] == 1 and stalls[0]["batch"] == [1, 1]
        assert str(stalls[0]["reason"]).startswith("CorruptRecordException")
        assert stalls[1]["offset"] == 1
        assert str(stalls[1]["reason"]).startswith("UnsupportedCodecError")
        assert worker.health()["status"] == "degraded"  # type: ignore[index]
        metrics = worker_metrics(worker)
        assert 'eye_partition_stalled{partition="0",reason="CorruptRecordException"' \
            in metrics.replace(f'topic="{settings.topic}",', "")

        send(settings, app_key, 2, "/while-stalled/2")  # the other partitions go on
        wait_for_rows(settings.dsn, 6)
        time.sleep(2)
        assert count(settings, "SELECT count(*) FROM events") == 6
        assert worker.alive()

        set_aside(settings, 0)
        set_aside(settings, 1)
        wait_for_rows(settings.dsn, 10)
        wait_until(lambda: stalled(worker) == {})
        assert worker.health()["status"] == "ok"  # type: ignore[index]
    finally:
        worker.stop()
    log = worker.log_path.read_text()
    assert log.count("stands still at offset 1") == 2, log  # once per state change
    with psycopg.connect(settings.dsn) as conn:
        errors = conn.execute('SELECT "partition", "offset", reason, payload FROM errors '
                              "ORDER BY 1").fetchall()
        assert [(p, o, r) for p, o, r, _ in errors] == [(0, 1, "unreadable_batch"),
                                                         (1, 1, "unreadable_batch")]
        assert b"/croken/0" in errors[0][3]  # the bytes as they are on disk, bit flipped
        assert errors[1][3] is None  # no client knows codec 7
        places = conn.execute("SELECT kafka_partition, kafka_offset FROM events "
                              "ORDER BY 1, 2").fetchall()
        assert places == [(0, 0), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2), (2, 3)]
    assert committed(settings) == {0: 3, 1: 3, 2: 4}


def count(settings: Settings, query: str) -> int:
    with psycopg.connect(settings.dsn) as conn:
        return int(conn.execute(query).fetchone()[0])  # type: ignore[index]


def worker_metrics(worker: WorkerProcess) -> str:
    import urllib.request

    url = f"http://127.0.0.1:{worker.settings.worker_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()  # type: ignore[no-any-return]


def committed(settings: Settings) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                  "group.id": settings.consumer_group, "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition(settings.topic, p) for p in range(3)], timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()
