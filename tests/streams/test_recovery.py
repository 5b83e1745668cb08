"""The worker against real failures: kill -9 mid-stream, and PostgreSQL going away for a while."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest

from base.settings import Settings
from kafka_edge.topics import ensure_topics
from store.applications import add as add_app
from store.migrate import migrate
from tests.fixtures.kafka import event, produce
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.services import ROOT, STATE
from tests.fixtures.stack import WorkerProcess, derive, free_port

N_SESSIONS = 100


def stream(key: str, n: int, seed: int) -> list[tuple[bytes | None, bytes, str | None]]:
    rnd = random.Random(seed)
    sessions = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(N_SESSIONS)]
    out = []
    for i in range(n):
        sid = sessions[rnd.randrange(N_SESSIONS)]
        out.append((sid.encode(), orjson.dumps(event(sid, i % 50)), key))
    return out


def assert_exact(dsn: str, n: int, per_session: dict[bytes, int]) -> None:
    with psycopg.connect(dsn) as conn:
        places = conn.execute("SELECT kafka_partition, kafka_offset FROM events").fetchall()
        assert len(places) == len(set(places)) == n
        assert conn.execute("SELECT count(*) FROM errors").fetchone() == (0,)
        counts = dict(conn.execute("SELECT session_id, event_count FROM sessions").fetchall())
        rows = dict(conn.execute("SELECT session_id, count(*) FROM events GROUP BY 1").fetchall())
    assert counts == rows == {k.decode(): v for k, v in per_session.items()}


def tally(messages: list[tuple[bytes | None, bytes, str | None]]) -> dict[bytes, int]:
    out: dict[bytes, int] = {}
    for key, _, _ in messages:
        assert key is not None
        out[key] = out.get(key, 0) + 1
    return out


def test_kill_9_mid_stream_loses_nothing_and_doubles_nothing(
        settings: Settings, app_key: str, tmp_path: Path) -> None:
    ensure_topics(settings)
    messages = stream(app_key, 6000, seed=1)
    settings = derive(settings, batch_size=200)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        produce(settings, messages)
        wait_for_rows(settings.dsn, 1000, timeout=60)
        worker.stop(signal.SIGKILL)  # rows stored, offsets maybe not committed, state half-written
        worker.start()
        wait_for_rows(settings.dsn, len(messages), timeout=120)
        time.sleep(2)  # a redelivery that doubled a row would show now
    finally:
        worker.stop()
    assert_exact(settings.dsn, len(messages), tally(messages))


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Path, int]]:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    directory, port = STATE / f"pg-{uuid.uuid4().hex[:8]}", free_port()
    script = str(ROOT / "scripts" / "postgres.sh")
    subprocess.run([script, "start", str(directory), str(port)], check=True, capture_output=True)
    yield f"postgresql://eye:eye@127.0.0.1:{port}/eye", directory, port
    subprocess.run([script, "stop", str(directory), str(port)], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


def test_database_outage_is_waited_out_and_recorded(
        settings: Settings, own_postgres: tuple[str, Path, int], tmp_path: Path) -> None:
    dsn, directory, port = own_postgres
    script = str(ROOT / "scripts" / "postgres.sh")
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        key = add_app(conn, "outage-test")
    settings = derive(settings, database_url=dsn, batch_size=100)
    ensure_topics(settings)
    first, second = stream(key, 1500, seed=2), stream(key, 1500, seed=3)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        produce(settings, first)
        wait_for_rows(dsn, len(first), timeout=60)
        subprocess.run([script, "stop", str(directory), str(port)], check=True)
        produce(settings, second)  # arrives while the database is away
        time.sleep(8)
        assert worker.proc is not None and worker.proc.poll() is None, "worker died"
        subprocess.run([script, "start", str(directory), str(port)], check=True)
        wait_for_rows(dsn, len(first) + len(second), timeout=90)
        time.sleep(1)
    finally:
        worker.stop()
    assert_exact(dsn, len(first) + len(second), tally(first + second))
    with psycopg.connect(dsn) as conn:
        kinds = conn.execute("SELECT kind, attempts FROM incidents").fetchall()
    # Recorded by what waited: the batch being stored, and the batch being judged.
    assert {k for k, _ in kinds} == {"database_unavailable"} and sum(a for _, a in kinds) >= 2
