"""What client applications really send, through the real broker and worker: every compression
codec, kcat, keys that are not the session id, and odd messages. Each message is one row."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import pytest
from confluent_kafka import Producer

from eye.kafka import APP_KEY_HEADER, PRODUCER_DEFAULTS
from eye.settings import Settings
from tests.fixtures.stack import WorkerProcess
from tests.fixtures.rows import wait_for_rows

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def event(sid: str, path: str) -> bytes:
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return orjson.dumps({"session_id": sid, "category": "page interaction", "name": "pageview",
                         "data": {"host": "www.example.com", "path": path}, "timestamp": at})


def stored_paths(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT data->>'path', count(*) FROM events GROUP BY 1")
                    .fetchall())


def error_reasons(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT reason, count(*) FROM errors GROUP BY 1").fetchall())


def test_every_codec_from_confluent_kafka_and_kcat(worker: WorkerProcess, app_key: str) -> None:
    settings = worker.settings
    sent = 0
    for codec in CODECS:
        # One producer per codec: a batch carries one codec, and each must be readable.
        p = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap,
                      "compression.type": codec, "linger.ms": 20})
        for i in range(20):
            sid = str(uuid.uuid4())
            p.produce(settings.topic, key=sid.encode(), value=event(sid, f"/librdkafka/{codec}"),
                      headers=[(APP_KEY_HEADER, app_key.encode())])
            sent += 1
        assert p.flush(30) == 0
    for codec in CODECS:
        lines = []
        for i in range(5):
            sid = str(uuid.uuid4())
            lines.append(f"{sid}|{event(sid, f'/kcat/{codec}').decode()}")
        kcat = subprocess.run(
            ["kcat", "-P", "-b", settings.kafka_bootstrap, "-t", settings.topic, "-K", "|",
             "-z", codec, "-H", f"{APP_KEY_HEADER}={app_key}",
             "-X", "partitioner=murmur2_random"],
            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
        assert kcat.returncode == 0, kcat.stderr
        sent += len(lines)
    wait_for_rows(settings.dsn, sent)
    expected = {f"/librdkafka/{c}": 20 for c in CODECS} | {f"/kcat/{c}": 5 for c in CODECS}
    assert stored_paths(settings.dsn) == expected
    assert error_reasons(settings.dsn) == {}
    assert worker.alive()
