"""Session state and client event ids without a changelog: a worker that starts with no local
state, as one taking a partition over does, picks both up from PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
from confluent_kafka import Consumer, TopicPartition

from base.settings import Settings
from kafka_edge.topics import ensure_topics
from tests.fixtures.kafka import produce
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.stack import WorkerProcess

T0 = datetime.now(UTC) - timedelta(hours=1)


def event(sid: str, n: int, event_id: str) -> bytes:
    return orjson.dumps({"session_id": sid, "category": "page interaction", "name": "pageview",
                         "data": {"host": "h", "path": f"/p{n}"}, "event_id": event_id,
                         "timestamp": (T0 + timedelta(minutes=n)).isoformat()})


def changelog_records(settings: Settings, table: str) -> int:
    topic = f"{settings.consumer_group}-{table}-changelog"
    c = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "count"})
    try:
        meta = c.list_topics(topic, timeout=10).topics[topic]
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                   for p in meta.partitions)
    finally:
        c.close()


def test_a_worker_without_local_state_picks_sessions_and_ids_up_from_the_database(
        settings: Settings, app_key: str, tmp_path: Path) -> None:
    ensure_topics(settings)
    sid, ids = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]
    first = WorkerProcess(settings, tmp_path / "first.log")
    first.start()
    try:
        produce(settings, [(sid.encode(), event(sid, n, ids[n - 1]), app_key) for n in (1, 2)])
        wait_for_rows(settings.dsn, 2)
    finally:
        first.stop()
    with psycopg.connect(settings.dsn) as conn:
        assert conn.execute("SELECT state IS NOT NULL FROM sessions").fetchall() == [(True,)]
    # Its local store gone, as on a machine that takes the partition over.
    shutil.rmtree(settings.state_dir)
    second = WorkerProcess(settings, tmp_path / "second.log")
    second.start()
    try:
        produce(settings, [(sid.encode(), event(sid, 0, ids[2]), app_key),
                           (sid.encode(), event(sid, 9, ids[0]), app_key)])  # a duplicate
        wait_for_rows(settings.dsn, 4)
    finally:
        second.stop()
    with psycopg.connect(settings.dsn) as conn:
        row = conn.execute("SELECT event_count, pageviews, entry_page, exit_page FROM sessions "
                           "WHERE session_id = %s", (sid,)).fetchone()
        errors = conn.execute("SELECT reason FROM errors").fetchall()
    # The earlier event (minute 0) became the entry page; the duplicate counted nowhere.
    assert row == (3, 3, "/p0", "/p2")
    assert errors == [("duplicate_event",)]
    assert changelog_records(settings, "sessions") == 0
