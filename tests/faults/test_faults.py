"""Fault drills on the real services, under a bounded load: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from base.settings import Settings
from kafka_edge.topics import ensure_topics
from tests.faults.drill import Load, Producing, assert_exact, wait_rows
from tests.fixtures.kafka import produce
from tests.fixtures.processes import WorkerProcess
from tests.fixtures.services import ROOT, STATE
from tests.fixtures.stack import derive, free_port

TIMEOUT = 600
# Warnings every loaded worker logs; they would bury the ones that explain a failure.
QUIET = ("buffer full", "is overlapping", "Heartbeat failed")


Spawn = Callable[[Settings, int], list[WorkerProcess]]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Spawn]:
    """Makes a drill's worker processes; whatever the drill's outcome, none outlives it."""
    made: list[WorkerProcess] = []

    def spawn(settings: Settings, n: int) -> list[WorkerProcess]:
        for i in range(len(made), len(made) + n):
            s = derive(settings, worker_port=free_port(), state_dir=tmp_path / f"state-{i}")
            made.append(WorkerProcess(s, tmp_path / f"worker-{i}.log"))
        return made[-n:]

    yield spawn
    for w in made:
        w.stop(signal.SIGKILL)


def settle(settings: Settings, load: Load, producing: Producing, ws: list[WorkerProcess]) -> None:
    """Wait for the whole load to be delivered and stored, stop the workers, check exactness."""
    producing.join()
    assert not producing.failures
    wait_rows(settings.dsn, load.n, TIMEOUT, settings)
    time.sleep(2)  # a redelivery that doubled a row would show now
    for w in ws:
        assert w.alive() or w.proc is None or w.proc.returncode == -signal.SIGKILL, w.log_tail()
        w.stop()
    try:
        assert_exact(settings.dsn, load)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{complaints(ws)}") from None


def complaints(ws: list[WorkerProcess], n: int = 15) -> str:
    """The last warnings and errors each worker logged: what a failed drill's note needs."""
    out = []
    for i, w in enumerate(ws):
        lines = list(dict.fromkeys(  # each message once, without its time
            ln.split("] ", 1)[-1] for ln in w.log_path.read_text(errors="replace").splitlines()
            if "[ERROR]" in ln or "[WARNING]" in ln and not any(q in ln for q in QUIET)))
        out.append(f"worker {i}: " + ("\n  ".join(["", *lines[-n:]]) if lines else "nothing"))
    return "\n".join(out)


def test_kill_9_three_times_under_load(settings: Settings, app_key: str, workers: Spawn) -> None:
    ensure_topics(settings)
    load = Load(app_key)
    [worker] = workers(settings, 1)
    worker.start()
    producing = Producing(settings, load)
    producing.start()
    rnd = random.Random(3)
    for _ in range(3):
        time.sleep(rnd.uniform(2, 6))
        worker.stop(signal.SIGKILL)
        worker.start()
    settle(settings, load, producing, [worker])


def test_three_workers_then_one_killed(settings: Settings, app_key: str, workers: Spawn) -> None:
    three_workers_then_one_killed(settings, app_key, workers)


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Two processes spinning on the CPU for the length of a test: a loaded host, where
    rebalances and recovery race with delivery. Under this load Faust skipped messages after
    a rebalance, and a commit once passed one that had no row."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for p in spinners:
        p.kill()
        p.wait()


def test_three_workers_then_one_killed_on_a_busy_machine(
        settings: Settings, app_key: str, workers: Spawn, busy_cores: None) -> None:
    three_workers_then_one_killed(settings, app_key, workers)


def three_workers_then_one_killed(settings: Settings, app_key: str, workers: Spawn) -> None:
    settings = derive(settings, topic_partitions=6)
    ensure_topics(settings)
    load = Load(app_key)
    ws = workers(settings, 3)
    ws[0].start()
    producing = Producing(settings, load)
    producing.start()
    time.sleep(2)
    ws[1].start()  # two in the group
    time.sleep(3)
    ws[2].start()  # three
    time.sleep(3)
    ws[1].stop(signal.SIGKILL)  # its partitions and table state move to the others
    settle(settings, load, producing, ws)


@pytest.fixture
def own_kafka() -> Iterator[tuple[str, Path, int]]:
    """A broker of this test's own, so restarting it disturbs no other test."""
    directory, port = STATE / f"kafka-{uuid.uuid4().hex[:8]}", free_port()
    script = str(ROOT / "scripts" / "kafka.sh")
    subprocess.run([script, "start", str(directory), str(port)], check=True, capture_output=True)
    yield f"127.0.0.1:{port}", directory, port
    subprocess.run([script, "stop", str(directory), str(port)], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


def test_broker_restart_mid_load(settings: Settings, app_key: str, workers: Spawn,
                                 own_kafka: tuple[str, Path, int]) -> None:
    bootstrap, directory, port = own_kafka
    script = str(ROOT / "scripts" / "kafka.sh")
    settings = derive(settings, kafka_bootstrap=bootstrap)
    ensure_topics(settings)
    load = Load(app_key)
    [worker] = workers(settings, 1)
    worker.start()
    producing = Producing(settings, load)
    producing.start()
    time.sleep(3)
    subprocess.run([script, "stop", str(directory), str(port)], check=True)
    time.sleep(3)
    subprocess.run([script, "start", str(directory), str(port)], check=True)
    settle(settings, load, producing, [worker])


def test_poison_messages_do_not_stall_their_partition(
        settings: Settings, app_key: str, workers: Spawn) -> None:
    settings = derive(settings, topic_partitions=1)  # everything on the poisoned partition
    ensure_topics(settings)
    [worker] = workers(settings, 1)
    worker.start()
    sid = str(uuid.uuid4())
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    poison = [b"\x00" * 900_000, b"{" * 500_000, deep, b'{"session_id": "\\ud800"}',
              orjson.dumps({"session_id": sid, "category": "c", "name": "n", "data": {},
                            "timestamp": "2024-01-01T00:00:00", "x": "\u0000"})]
    good = {"session_id": sid, "category": "page interaction", "name": "pageview",
            "data": {"host": "h", "path": "/after"}, "timestamp": "2024-01-01T00:00:01"}
    started = time.monotonic()
    produce(settings, [(sid.encode(), p, app_key) for p in poison] +
            [(sid.encode(), orjson.dumps(good), app_key)])
    wait_rows(settings.dsn, len(poison) + 1, 60)
    took = time.monotonic() - started
    worker.stop()
    assert took < 30
    import psycopg

    with psycopg.connect(settings.dsn) as conn:
        reasons = sorted(r for (r,) in conn.execute("SELECT reason FROM errors"))
        assert conn.execute("SELECT data->>'path' FROM events").fetchall() == [("/after",)]
    assert len(reasons) == len(poison)
    assert "internal_error" not in reasons
