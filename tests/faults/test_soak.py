"""A soak under hostile producers: for EYE_SOAK_SECONDS, about 1,000 messages a second of valid
events, every rejection, every codec and odd messages, through a kill -9 of the worker and a
restart of PostgreSQL; then every message must be exactly the row its ledger says."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from base.settings import Settings
from kafka_edge.topics import ensure_topics
from store import applications, databases
from streams.ingest import key_mismatch
from tests.faults.drill import wait_rows
from tests.faults.hostile import REASONS, Mix, Producing
from tests.faults.ledger import DUPLICATE, STORED, check
from tests.faults.watch import Exits, Watch, complaints, positions
from tests.fixtures.processes import WorkerProcess
from tests.fixtures.services import ROOT, STATE
from tests.fixtures.stack import free_port
from validators import Event, Policy, validate

SECONDS = float(os.environ.get("EYE_SOAK_SECONDS", "45"))
LONG = 300  # a run this long writes its figures to bench/results/
RATE = 1000.0
PARTITIONS = 6
DOWN = 5.0  # seconds PostgreSQL stays stopped
SETTLE = 300.0  # seconds for the last rows after the producers stop


def pg(action: str, directory: Path, port: int) -> None:
    # As the test server runs: it need not survive a power cut, and is faster without fsync.
    proc = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), action, str(directory),
                           str(port)], env={**os.environ, "EYE_PG_FSYNC": "off"},
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"postgres.sh {action}: {proc.stdout}{proc.stderr}"


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Path, int]]:
    """A PostgreSQL server of this test's own, so restarting it disturbs no other test."""
    directory, port = STATE / f"postgres-{uuid.uuid4().hex[:8]}", free_port()
    pg("start", directory, port)
    yield f"postgresql://eye:eye@127.0.0.1:{port}/eye", directory, port
    pg("stop", directory, port)
    shutil.rmtree(directory, ignore_errors=True)
    # Where postgres.sh keeps it instead when its user cannot reach `directory` (as root).
    moved = hashlib.sha1(f"{directory}\n".encode()).hexdigest()[:12]
    shutil.rmtree(Path("/var/lib/postgresql") / f"eye-{moved}", ignore_errors=True)


def test_the_mix_expects_what_the_validators_say() -> None:
    """The ledger's outcomes, for what validation alone decides, agree with validate()."""
    mix = Mix("key-of-the-app")
    policy = Policy(unknown_event_types="reject")
    seen: Counter[str] = Counter()
    for _ in range(3 * 2000):
        key, value, headers, sent = mix.next()
        seen[sent.outcome] += 1
        if sent.outcome in (DUPLICATE, "unauthorized_app"):
            assert dict(headers).get("eye-app-key") != mix.app_key or sent.outcome == DUPLICATE
            continue
        got = validate(value, received_at=datetime.now(UTC), policy=policy)
        if isinstance(got, Event):
            mismatch = key_mismatch(key, got.session_id)
            outcome = str(mismatch.reason) if mismatch else STORED
        else:
            outcome = str(got.reason)
        assert outcome == sent.outcome, f"{sent.kind}: {value!r:.200}"
    assert set(REASONS) <= set(seen), seen


def test_hostile_producers_through_a_kill_and_a_database_restart(
        kafka_bootstrap: str, own_postgres: tuple[str, Path, int], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    admin_dsn, pg_dir, pg_port = own_postgres
    dsn = databases.create(admin_dsn, "eye_soak")
    tag = uuid.uuid4().hex[:10]
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic=f"eye-soak-{tag}",
                        dlq_topic=f"eye-soak-{tag}-dlq", control_topic=f"eye-control-{tag}",
                        consumer_group=f"eye-soak-{tag}", topic_partitions=PARTITIONS,
                        database_url=dsn, batch_interval=0.1, worker_port=free_port(),
                        state_dir=tmp_path / "worker-state", unknown_event_types="reject")
    ensure_topics(settings)
    with psycopg.connect(dsn, autocommit=True) as conn:
        app_key = applications.add(conn, "soak")
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    started = time.monotonic()
    producing = Producing(kafka_bootstrap, settings.topic, Mix(app_key), rate=RATE,
                          kcat_at=(0.15 * SECONDS, 0.5 * SECONDS, 0.8 * SECONDS))
    watch, exits = Watch(worker, PARTITIONS, started), Exits(worker, started)
    events: dict[str, Any] = {}
    try:
        for t in (producing, watch, exits):
            t.start()
        for at, what in ((0.3 * SECONDS, "kill"), (0.6 * SECONDS, "postgres"),
                         (SECONDS, "end")):
            while time.monotonic() - started < at and not exits.unexpected \
                    and producing.error is None:
                time.sleep(0.2)
            if exits.unexpected or producing.error is not None:
                break
            began = time.monotonic() - started
            if what == "kill":
                with exits.expected():
                    worker.stop(signal.SIGKILL)
                    worker.start()
            elif what == "postgres":
                pg("stop", pg_dir, pg_port)
                time.sleep(DOWN)
                pg("start", pg_dir, pg_port)
            events[what] = [round(began, 1), round(time.monotonic() - started, 1)]
        producing.stop.set()
        producing.join(360)
        produced_for = time.monotonic() - started
        assert producing.error is None, f"the producer failed: {producing.error!r}"
        assert not producing.is_alive() and producing.unflushed == 0, \
            f"{producing.unflushed} messages not acknowledged by the broker"
        assert not producing.ledger.failures, \
            f"{len(producing.ledger.failures)} deliveries failed: {producing.ledger.failures[:5]}"
        assert not exits.unexpected, "\n".join(exits.unexpected)
        ends = {p: end for p, (_c, end) in
                positions(watch.admin, settings.consumer_group, settings.topic, PARTITIONS).items()}
        settled = wait_rows(dsn, sum(ends.values()), SETTLE, settings)
        committed = wait_committed(watch, settings, ends, 60)
        time.sleep(2)  # a redelivery that doubled a row would show now
    finally:
        for t in (producing, exits):
            t.stop.set()  # type: ignore[attr-defined]
        watch.close()
        exits.join(10)
        alive = worker.alive()
        worker.stop(signal.SIGTERM if alive else signal.SIGKILL)
    outcome = check(dsn, settings.topic, producing.ledger, ends)
    figures = {
        "command": command(), "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {platform.system().lower()}, load average "
                   f"{os.getloadavg()[0]:.2f} at the end",
        "duration_s": round(produced_for, 1), "rate_target": RATE,
        "rate_sent": round(producing.sent / produced_for, 1),
        "produced": outcome.produced,
        "by_kind": dict(sorted(Counter(s.kind for s in producing.ledger.placed.values()).items())),
        "by_codec": producing.by_codec | {"kcat": len(producing.ledger.by_kcat)},
        "events": outcome.events, "errors_by_reason": dict(sorted(outcome.errors.items())),
        "errors": sum(outcome.errors.values()), "doubled": outcome.doubled,
        "restarts": len(exits.unexpected), "kill_9_at_s": events.get("kill"),
        "postgres_restart_at_s": events.get("postgres"),
        "longest_standstill_s": {str(p): {"seconds": round(s, 1), "from_s": round(f, 1)}
                                 for p, (s, f) in sorted(watch.standstill.longest.items())},
        "max_lag": watch.max_lag, "healthz": dict(watch.health),
        "stalled": [f"{p}:{o} {r}" for (p, o), r in sorted(watch.stalled.items())],
        "settle_s": round(settled, 1), "commit_settle_s": round(committed, 1),
        "sessions": outcome.sessions,
    }
    problems = list(outcome.complaints)
    if not alive:
        problems.append(f"the worker was not running at the end:\n{worker.log_tail(30)}")
    if watch.stalled:
        problems.append(f"partitions stood still on a batch: {figures['stalled']}")
    figures["check"] = problems or "exact"
    with capsys.disabled():
        print("\nsoak figures:\n" + "\n".join(f"  {k}: {json.dumps(v)}"
                                                 for k, v in figures.items()))
    if SECONDS >= LONG:
        write_results(figures)
    assert not problems, "\n".join(problems) + "\n" + complaints(worker)


def wait_committed(watch: Watch, settings: Settings, ends: dict[int, int], timeout: float
                   ) -> float:
    """Seconds until the group's committed offsets reach the log ends; fails naming them."""
    began = time.monotonic()
    while True:
        where = positions(watch.admin, settings.consumer_group, settings.topic, PARTITIONS)
        if all(where[p][0] >= end for p, end in ends.items()):
            return time.monotonic() - began
        assert time.monotonic() - began < timeout, \
            f"every row stored, but the committed offsets stay behind: {where}"
        time.sleep(0.5)


def command() -> str:
    argv = [os.path.relpath(sys.argv[0], ROOT) if sys.argv[0].startswith("/") else sys.argv[0],
            *sys.argv[1:]]
    return f"EYE_SOAK_SECONDS={SECONDS:g} " + " ".join(shlex.quote(a) for a in argv)


def span(at: list[float] | None) -> str:
    return "not reached" if at is None else f"{at[0]} → {at[1]}"


def write_results(figures: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    (out / "soak.json").write_text(json.dumps(figures, indent=1) + "\n")
    rows = [("produced (messages in the topic)", f"{figures['produced']:,}"),
            ("rate sent / target (messages/s)", f"{figures['rate_sent']:,} / {RATE:,.0f}"),
            ("rows in events", f"{figures['events']:,}"),
            ("rows in errors", f"{figures['errors']:,}"),
            ("places with more than one row (doubled)", str(figures["doubled"])),
            ("worker exits besides the one kill -9 (restarts)", str(figures["restarts"])),
            ("kill -9, then ready again (s from start)", span(figures["kill_9_at_s"])),
            ("PostgreSQL stopped, then started (s)", span(figures["postgres_restart_at_s"])),
            ("sessions, each agreeing with its events", f"{figures['sessions']:,}"),
            ("largest lag seen (messages)", f"{figures['max_lag']:,}"),
            ("last rows stored / committed after the producers stopped (s)",
             f"{figures['settle_s']} / {figures['commit_settle_s']}"),
            ("/healthz answers", ", ".join(f"{k}: {v}" for k, v in figures["healthz"].items())),
            ("check", figures["check"] if figures["check"] == "exact" else
             "<br>".join(figures["check"]).replace("|", "\\|").replace("\n", " "))]
    md = [f"# Soak: hostile producers for {figures['duration_s']:g} s",
          "", f"Command: `{figures['command']}`  ",
          f"When: {figures['when']}; machine: {figures['machine']}", "",
          "| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), "",
          "| errors by reason | rows |", "|---|---:|",
          *(f"| {r} | {n:,} |" for r, n in figures["errors_by_reason"].items()), "",
          "| partition | longest stand-still with lag (s) | from (s) |", "|---:|---:|---:|",
          *(f"| {p} | {v['seconds']} | {v['from_s']} |"
            for p, v in figures["longest_standstill_s"].items()), "",
          "Messages by kind: " + ", ".join(f"{k} {v:,}" for k, v in figures["by_kind"].items())
          + ". By codec: " + ", ".join(f"{k} {v:,}" for k, v in figures["by_codec"].items())
          + ". Tombstones and empty values end as malformed_json, values near 1 MB as "
          "payload_too_large.", "",
          "Every message is checked against a ledger filled from the delivery reports: the row "
          "at its (partition, offset) must be the event it sent (by id) or an error with the "
          "reason expected; sessions must agree with the events stored. A stand-still is the "
          "time a partition's committed offset stayed put while it had lag, sampled every "
          "second from the broker; a kill -9 holds a partition about the group's session "
          "timeout (EYE_KAFKA_SESSION_TIMEOUT, 10 s) until the worker started again gets it."]
    (out / "soak.md").write_text("\n".join(md) + "\n")
