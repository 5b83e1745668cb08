"""The load generator: deterministic, real event shapes, broken on purpose in known ways; and
`eye load` / `eye produce` against the real broker and worker."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson

from base.settings import Settings
from eye.loadgen import INVALID_KINDS, Pacer, generate
from tests.fixtures.rows import wait_rows
from tests.fixtures.services import ROOT
from tests.fixtures.stack import WorkerProcess, settings_env
from validators import Event, Policy, Rejection, validate

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_the_same_seed_gives_the_same_messages() -> None:
    a = list(generate(200, sessions=7, invalid_ratio=0.2, seed=3, now=NOW))
    assert a == list(generate(200, sessions=7, invalid_ratio=0.2, seed=3, now=NOW))
    assert a != list(generate(200, sessions=7, invalid_ratio=0.2, seed=4, now=NOW))


def test_valid_messages_pass_the_validators_and_broken_ones_fail_for_their_reason() -> None:
    messages = list(generate(3000, sessions=40, invalid_ratio=0.25, seed=1, now=NOW))
    kinds = Counter(m.invalid for m in messages)
    assert set(kinds) == {None, *INVALID_KINDS}
    assert 0.2 < (len(messages) - kinds[None]) / len(messages) < 0.3
    names = Counter()
    for m in messages:
        outcome = validate(m.value, received_at=NOW, policy=Policy())
        if m.invalid is None:
            assert isinstance(outcome, Event), (m, outcome)
            assert m.key == outcome.session_id.encode()
            names[(outcome.category, outcome.name)] += 1
        else:
            assert isinstance(outcome, Rejection)
            assert outcome.reason == INVALID_KINDS[m.invalid], (m, outcome)
    assert set(names) == {("page interaction", "pageview"), ("page interaction", "cta click"),
                          ("form interaction", "submit")}
    assert len({m.key for m in messages}) == 40


def test_every_session_starts_with_a_pageview_and_its_times_rise() -> None:
    firsts: dict[bytes, dict[str, object]] = {}
    last: dict[bytes, str] = {}
    for m in generate(500, sessions=9, seed=2, now=NOW):
        doc = orjson.loads(m.value)
        firsts.setdefault(m.key, doc)
        assert doc["timestamp"] > last.get(m.key, "")
        last[m.key] = doc["timestamp"]
    assert all(d["name"] == "pageview" for d in firsts.values())
    assert max(last.values()) <= NOW.strftime("%Y-%m-%d %H:%M:%S.%f")


def test_the_pacer_keeps_to_the_schedule() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert now[0] == 100.4  # 5 sends at 10/s: the last one 0.4 s after the first
    now[0] += 1.0  # the sender fell behind: the next sends do not wait
    pacer.wait()
    assert len(slept) == 4
    unpaced = Pacer(0, clock=lambda: now[0], sleep=sleep)
    for _ in range(100):
        unpaced.wait()
    assert len(slept) == 4


def _eye(settings: Settings, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "eye"), *args], env=env, cwd=ROOT,
                          input=stdin.decode() if stdin else None, capture_output=True,
                          text=True, timeout=120)


async def test_eye_load_sends_what_the_worker_stores_and_rejects(
        worker: WorkerProcess, settings: Settings, app_key: str) -> None:
    n, ratio, seed = 400, 0.1, 5
    proc = _eye(settings, "load", "--events", str(n), "--sessions", "20", "--invalid-ratio",
                str(ratio), "--seed", str(seed), "--rate", "2000", "--app-key", app_key)
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"sent {n}, failed 0, "), summary
    assert summary.endswith(" events/s")
    seconds = float(summary.split(", ")[2].split()[0])
    assert seconds >= (n - 1) / 2000  # paced
    invalid = sum(m.invalid is not None for m in
                  generate(n, sessions=20, invalid_ratio=ratio, seed=seed))
    await wait_rows(settings.dsn, "SELECT 1 FROM events", n - invalid)
    await wait_rows(settings.dsn, "SELECT 1 FROM errors", invalid)


async def test_eye_produce_sends_each_line_as_it_is(
        worker: WorkerProcess, settings: Settings, app_key: str, tmp_path: Path) -> None:
    good = [m.value for m in generate(5, sessions=2, seed=9)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([*good, b"", b"{broken", b'"just a string"']) + b"\n")
    proc = _eye(settings, "produce", str(path), "--app-key", app_key, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("sent 7, failed 0, ")
    await wait_rows(settings.dsn, "SELECT 1 FROM events", len(good))
    reasons = await wait_rows(settings.dsn, "SELECT reason FROM errors ORDER BY reason", 2)
    assert reasons == [("malformed_json",), ("not_an_object",)]


def test_undelivered_events_are_counted_as_failed(settings: Settings) -> None:
    away = Settings(**{**settings.model_dump(), "kafka_bootstrap": "127.0.0.1:1"})
    proc = _eye(away, "produce", "-", "--quiet", "--timeout", "1", "--app-key", "k",
                stdin=b'{"session_id": "s"}\n{"session_id": "t"}\n')
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].startswith("sent 0, failed 2, ")


async def test_eye_produce_wait_prints_stored_and_rejected_with_reasons(
        worker: WorkerProcess, settings: Settings, app_key: str, tmp_path: Path) -> None:
    good = [m.value for m in generate(4, sessions=2, seed=11)]
    path = tmp_path / "good.jsonl"
    path.write_bytes(b"\n".join(good) + b"\n")
    proc = _eye(settings, "produce", str(path), "--app-key", app_key, "--quiet", "--wait", "30")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert proc.stdout.strip().splitlines()[-1] == "stored 4, rejected 0"

    future = {**orjson.loads(good[0]), "timestamp": "2999-01-01T00:00:00Z"}
    del future["event_id"]
    fresh = next(iter(generate(1, sessions=1, seed=12))).value
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([fresh, good[1], orjson.dumps(future), b"{broken"]) + b"\n")
    proc = _eye(settings, "produce", str(path), "--app-key", app_key, "--quiet", "--wait")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    out = proc.stdout.strip().splitlines()
    assert out[1] == "stored 1, rejected 3"
    assert sorted(line.split(":")[0].strip() for line in out[2:]) == [
        "duplicate_event 1", "malformed_json 1", "timestamp_in_future 1"]
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("eye: 3 of 4 events were rejected; `eye errors --since ")


def test_eye_produce_explains_a_missing_file_and_a_token_for_a_key(settings: Settings) -> None:
    proc = _eye(settings, "produce", "missing.jsonl", "--app-key", "eye_x")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "eye: cannot read missing.jsonl: No such file or directory"
    proc = _eye(settings, "produce", "-", "--app-key", "eyt_abc", stdin=b"{}\n")
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("eye: --app-key: this is an API token (eyt_…)")
    assert "sent" not in proc.stdout
