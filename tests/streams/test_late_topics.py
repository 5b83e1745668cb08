"""A worker whose broker lists the tables' changelog topics late still stores every event."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import orjson
import psycopg
from confluent_kafka.admin import AdminClient

from base.settings import Settings
from kafka_edge.control import rebuild_sessions
from kafka_edge.topics import ensure_topics
from tests.fixtures.kafka import event, produce
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.services import ROOT
from tests.fixtures.stack import WorkerProcess


def assigned_topics(settings: Settings) -> set[str]:
    """The topics the group's members are assigned now."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    group = admin.describe_consumer_groups([settings.consumer_group])[settings.consumer_group]
    return {tp.topic for m in group.result(timeout=10).members
            for tp in m.assignment.topic_partitions}


def wait_assigned(settings: Settings, topics: set[str], timeout: float = 30) -> set[str]:
    deadline = time.monotonic() + timeout
    while not topics <= (got := assigned_topics(settings)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return got


def test_changelogs_listed_late_by_the_broker_cost_no_event(
        settings: Settings, app_key: str, tmp_path: Path) -> None:
    """The worker joins its group while the broker does not list the changelog yet. Batches
    write no changelog, so they go on; a control command, which writes through Faust, waits
    until the consumer has fetched the metadata again. (Faust refused every table write before
    then: when events wrote the tables so, each valid one became an `internal_error` row.)"""
    ensure_topics(settings)
    sessions = [str(uuid.uuid4()) for _ in range(30)]  # on every partition of the topic

    def load(n: int) -> list[tuple[bytes, bytes, str]]:
        return [(sid.encode(), orjson.dumps(event(sid, i % 50, event_id=str(uuid.uuid4()))),
                 app_key) for i, sid in enumerate(sessions * n)]

    before, after = load(5), load(1)
    produce(settings, before)
    worker = WorkerProcess(settings, tmp_path / "worker.log", command=[
        str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.streams.late_topics"])
    worker.start()
    try:
        changelogs = {f"{settings.consumer_group}-sessions-changelog"}
        wait_for_rows(settings.dsn, len(before), 60)
        rebuild_sessions(settings, sessions[:1])
        assigned = wait_assigned(settings, changelogs)
        # A later message in each partition: at a rebalance Faust may skip messages it had
        # fetched, and the worker reads such a hole when the next message reveals it
        # (streams/offsets.py).
        produce(settings, after)
        wait_for_rows(settings.dsn, len(before) + len(after), 60)
    finally:
        worker.stop()
    with psycopg.connect(settings.dsn) as conn:
        errors = conn.execute("SELECT reason, left(detail, 200) FROM errors LIMIT 3").fetchall()
        stored = conn.execute("SELECT count(*) FROM events").fetchone()
        counts = dict(conn.execute("SELECT session_id, event_count FROM sessions").fetchall())
    assert errors == []
    assert changelogs <= assigned
    assert stored == (len(before) + len(after),)
    assert counts == {sid: 6 for sid in sessions}
    assert "does not list" in worker.log_path.read_text()  # the staged fault did happen
