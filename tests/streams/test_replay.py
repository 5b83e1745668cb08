"""`eye replay` after a rule change: rejections that now pass move to events, once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import orjson
import psycopg

from base.policy import policy_from
from base.settings import Settings
from kafka_edge.control import rebuild_sessions
from kafka_edge.topics import ensure_topics
from streams.replay import replay
from tests.fixtures.kafka import event, produce
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.stack import WorkerProcess, derive


def test_replay_moves_what_now_passes_once_and_rebuilds_sessions(
        settings: Settings, app_key: str, tmp_path: Path) -> None:
    strict = derive(settings, unknown_event_types="reject")
    ensure_topics(strict)
    sid = str(uuid.uuid4())
    known = [event(sid, i) for i in range(3)]
    custom = [event(sid, 10 + i, category="video", name="play") for i in range(2)]
    broken = event(sid, 20, timestamp="not a time")
    messages = [(sid.encode(), orjson.dumps(e), app_key) for e in known + custom + [broken]]
    worker = WorkerProcess(strict, tmp_path / "worker.log")
    worker.start()
    try:
        produce(strict, messages)
        wait_for_rows(strict.dsn, len(messages))
        lenient = policy_from(settings)  # unknown types accepted: the rule was relaxed
        with psycopg.connect(settings.dsn, autocommit=True) as conn:
            first = replay(conn, reason="unknown_event_type", since=None, policy=lenient)
            again = replay(conn, reason="unknown_event_type", since=None, policy=lenient)
            stays = replay(conn, reason="invalid_timestamp", since=None, policy=lenient)
        assert (first.checked, first.moved, first.sessions) == (2, 2, {sid})
        assert (again.checked, again.moved) == (0, 0)
        assert (stays.checked, stays.moved) == (1, 0)
        rebuild_sessions(settings, sorted(first.sessions))
        deadline = time.monotonic() + 30
        while True:
            with psycopg.connect(settings.dsn) as conn:
                count = conn.execute("SELECT event_count FROM sessions WHERE session_id = %s",
                                     (sid,)).fetchone()
            if count == (5,):
                break
            assert time.monotonic() < deadline, f"session not rebuilt: {count}"
            time.sleep(0.25)
        # The next live event counts on top of the rebuilt state.
        produce(strict, [(sid.encode(), orjson.dumps(event(sid, 30)), app_key)])
        wait_for_rows(strict.dsn, len(messages) + 1)
        deadline = time.monotonic() + 30
        while True:
            with psycopg.connect(settings.dsn) as conn:
                count = conn.execute("SELECT event_count FROM sessions").fetchone()
            if count == (6,):
                break
            assert time.monotonic() < deadline, f"session not updated: {count}"
            time.sleep(0.25)
    finally:
        worker.stop()
    with psycopg.connect(settings.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (6,)
        assert conn.execute("SELECT reason FROM errors").fetchall() == [("invalid_timestamp",)]
