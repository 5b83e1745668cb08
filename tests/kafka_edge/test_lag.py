"""Consumer lag from the real broker: counted while nothing consumes, drained by the real worker,
risen again while it is stopped, and drained once more after its restart."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from kafka_edge.lag import LagUnavailable
from kafka_edge.positions import resume_positions
from tests.fixtures.kafka import lag_of, send, wait_for_lag
from tests.fixtures.services import ROOT
from tests.fixtures.stack import WorkerProcess, settings_env


def stored_rows(settings: Settings) -> int:
    with psycopg.connect(settings.dsn) as conn:
        (events,) = conn.execute("SELECT count(*) FROM events").fetchone()  # type: ignore[misc]
        (errors,) = conn.execute("SELECT count(*) FROM errors").fetchone()  # type: ignore[misc]
    return int(events) + int(errors)


def test_a_group_that_committed_nothing_lags_by_every_message(topics: Settings) -> None:
    empty = lag_of(topics)
    assert [p.partition for p in empty.partitions] == list(range(topics.topic_partitions))
    assert empty.total == 0 and empty.max_seconds == 0

    a_minute_ago = int((time.time() - 60) * 1000)
    where = send(topics, 30, timestamp_ms=a_minute_ago)
    lag = lag_of(topics)
    assert lag.total == 30
    assert {p.partition: p.lag for p in lag.partitions if p.lag} == dict(where)
    for p in lag.partitions:
        assert p.committed is None and p.position == p.low == 0 and p.high == where[p.partition]
        if p.lag:
            assert p.timestamp == a_minute_ago / 1000
            assert 59 < p.lag_seconds(lag.measured_at) < 90


def test_resume_positions_are_the_committed_offsets_or_the_log_start(topics: Settings) -> None:
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    send(topics, 30)
    admin = AdminClient({"bootstrap.servers": topics.kafka_bootstrap})
    group, topic = topics.consumer_group, topics.topic
    assert resume_positions(admin, group, topic) == {p: 0 for p in range(topics.topic_partitions)}
    c = Consumer({"bootstrap.servers": topics.kafka_bootstrap, "group.id": group})
    try:
        c.commit(offsets=[TopicPartition(topic, 1, 4)], asynchronous=False)
    finally:
        c.close()
    assert resume_positions(admin, group, topic) == {0: 0, 1: 4, 2: 0}


def test_a_missing_topic_is_an_error_and_is_not_created(settings: Settings) -> None:
    from confluent_kafka.admin import AdminClient

    with pytest.raises(LagUnavailable, match="Unknown topic"):
        lag_of(settings)
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    assert settings.topic not in admin.list_topics(timeout=5).topics


def test_lag_rises_while_the_worker_is_stopped_and_drains_after(
        topics: Settings, app_key: str, tmp_path: Path) -> None:
    first = produce(topics, demo_events(sessions=6, seed=1), app_key=app_key)
    assert wait_for_lag(topics, first, timeout=10).total == first

    worker = WorkerProcess(topics, tmp_path / "worker.log")
    worker.start()
    try:
        drained = wait_for_lag(topics, 0, worker=worker)
        # The worker commits only what it stored: a drained lag means the rows are in Postgres.
        assert stored_rows(topics) == first
        assert all(p.committed == p.high for p in drained.partitions)
    finally:
        worker.stop()

    second = produce(topics, demo_events(sessions=5, seed=2), app_key=app_key)
    second += produce(topics, [b"{not json"] * 7, app_key=app_key)
    wait_for_lag(topics, second, timeout=10)
    time.sleep(1.0)
    risen = lag_of(topics)
    assert risen.total == second, "lag moved while no worker ran"
    assert risen.max_seconds >= 1.0
    assert stored_rows(topics) == first

    worker.start()
    try:
        wait_for_lag(topics, 0, worker=worker)
        assert stored_rows(topics) == first + second
    finally:
        worker.stop()


def test_eye_lag_prints_a_row_per_partition(topics: Settings) -> None:
    where = send(topics, 12)
    env = {**os.environ, **settings_env(topics)}
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "eye"), "lag"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"group {topics.consumer_group} on {topics.topic}")
    rows = {int(line.split()[0]): line.split() for line in lines[2:-1]}
    assert sorted(rows) == list(range(topics.topic_partitions))
    for partition, cols in rows.items():
        # partition, committed ("-": none yet), end, lag, lag seconds
        assert cols[1] == "-" and int(cols[2]) == int(cols[3]) == where[partition]
    assert lines[-1].split()[:2] == ["total", "12"]


def test_eye_lag_watch_refreshes_until_interrupted(topics: Settings) -> None:
    import signal

    env = {**os.environ, **settings_env(topics)}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "eye"), "lag", "--watch",
                             "--interval", "0.3"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out.count("group ") >= 2 and out.count("total") >= 2
