"""A mixed stream through the real broker and worker: every message read is exactly one row."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import psycopg
from confluent_kafka import Consumer

from base.settings import Settings
from kafka_edge.clients import APP_KEY_HEADER
from kafka_edge.topics import ensure_topics
from tests.fixtures.kafka import NOW, event, produce
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.stack import WorkerProcess, derive


def nested(depth: int) -> dict[str, object]:
    d: dict[str, object] = {}
    for _ in range(depth):
        d = {"x": d}
    return d


def mixed_stream(key: str) -> tuple[list[tuple[bytes | None, bytes, str | None]], dict[str, int]]:
    """(kafka key, value, app key) for each message, and the rejections expected by reason."""
    out: list[tuple[bytes | None, bytes, str | None]] = []
    sessions = [str(uuid.uuid4()) for _ in range(5)]
    for i in range(40):
        sid = sessions[i % 5]
        out.append((sid.encode(), orjson.dumps(event(sid, i)), key))
    repeated = event(sessions[0], 50, event_id=str(uuid.uuid4()))
    out += [(sessions[0].encode(), orjson.dumps(repeated), key)] * 3  # the same event thrice
    s = sessions[1]
    bad: dict[str, bytes] = {
        "malformed_json": b'{"session_id": ',
        "not_an_object": b"[1, 2, 3]",
        "missing_field": orjson.dumps({k: v for k, v in event(s, 1).items() if k != "data"}),
        "invalid_field": orjson.dumps(event(s, 1, session_id=5)),
        "payload_too_large": orjson.dumps(event(s, 1, data={"host": "h", "path": "/",
                                                             "pad": "x" * 70_000})),
        "too_deep": orjson.dumps(event(s, 1, data={"host": "h", "path": "/", **nested(40)})),
        "invalid_encoding": b'{"session_id": "\xff\xfe"}',
        "unknown_event_type": orjson.dumps(event(s, 1, category="mystery")),
        "invalid_timestamp": orjson.dumps(event(s, 1, timestamp="yesterday")),
        "timestamp_in_future": orjson.dumps(event(s, 1, timestamp=(NOW + timedelta(days=1))
                                                  .isoformat())),
        "timestamp_too_old": orjson.dumps(event(s, 1, timestamp="0001-01-01 00:00:00.000000")),
        "unauthorized_app": orjson.dumps(event(s, 1)),
    }
    for reason, value in bad.items():
        out.append((s.encode(), value, None if reason == "unauthorized_app" else key))
    out.append((s.encode(), orjson.dumps(event(s, 2)), "eye_not-a-registered-key"))
    expected = {reason: 1 for reason in bad}
    expected["unauthorized_app"] = 2
    expected["duplicate_event"] = 2
    return out, expected


def test_each_message_is_exactly_one_row(settings: Settings, app_key: str, tmp_path: Path) -> None:
    settings = derive(settings, unknown_event_types="reject")
    ensure_topics(settings)
    messages, expected = mixed_stream(app_key)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        produce(settings, messages)
        wait_for_rows(settings.dsn, len(messages))
        time.sleep(1)  # anything beyond would be a second row for some message
    finally:
        worker.stop()
    with psycopg.connect(settings.dsn) as conn:
        places = conn.execute(
            "SELECT kafka_partition, kafka_offset FROM events UNION ALL "
            'SELECT "partition", "offset" FROM errors').fetchall()
        assert len(places) == len(set(places)) == len(messages)
        reasons = dict(conn.execute("SELECT reason, count(*) FROM errors GROUP BY 1").fetchall())
        assert reasons == expected
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (41,)
        raw = conn.execute("SELECT payload FROM errors WHERE reason = 'invalid_encoding'")
        assert raw.fetchone() == (b'{"session_id": "\xff\xfe"}',)
        disagree = conn.execute(
            "SELECT s.session_id FROM sessions s LEFT JOIN (SELECT session_id, count(*) n "
            "FROM events GROUP BY 1) e USING (session_id) WHERE s.event_count <> e.n").fetchall()
        assert disagree == []
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (5,)
        keys = conn.execute("SELECT headers FROM errors").fetchall()
        assert all(APP_KEY_HEADER not in h for (h,) in keys)
    letters = read_all(settings, settings.dlq_topic, sum(expected.values()))
    assert sorted(d["reason"] for d in letters) == sorted(
        r for r, n in expected.items() for _ in range(n))


def read_all(settings: Settings, topic: str, n: int, timeout: float = 30) -> list[dict]:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": f"read-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < n and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is not None and m.error() is None:
                out.append(orjson.loads(m.value()))
        m = consumer.poll(1.0)  # one more look: a surplus would be a bug too
        if m is not None and m.error() is None:
            out.append(orjson.loads(m.value()))
    finally:
        consumer.close()
    return out
