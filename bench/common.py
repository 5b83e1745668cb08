"""What every benchmark needs: the real services, a fresh database, and a place for results."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from base.settings import Settings
from store import databases
from tests.fixtures.processes import ROOT, free_port  # noqa: F401 - re-exported for the benchmarks

RESULTS = ROOT / "bench" / "results"
STATE = ROOT / ".cache" / "bench"
# The test services' ports by default: a `make up` stack is left alone, and a broker or database
# that `make test` left running is used as it is. Other ports give services of the bench's own.
TEST_KAFKA_PORT, TEST_PG_PORT = 19092, 15432
KAFKA_PORT = int(os.environ.get("EYE_BENCH_KAFKA_PORT", TEST_KAFKA_PORT))
PG_PORT = int(os.environ.get("EYE_BENCH_PG_PORT", TEST_PG_PORT))


def _script(name: str, *args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(ROOT / "scripts" / name), *args],
                          env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **(env or {})}).returncode


@contextmanager
def service(script: str, folder: Path, port: int, env: dict[str, str] | None = None,
            stop: str = "stop") -> Iterator[None]:
    """A broker or database (scripts/kafka.sh, scripts/postgres.sh) on `port`: started when not
    running and then stopped at the end (with the script's `stop`, or `discard` to remove
    files kept outside `folder` too), however the benchmark ends (an error, Ctrl-C); one
    already running is left so."""
    args = (str(folder), str(port))
    started = _script(script, "status", *args) != 0
    if started and _script(script, "start", *args, env=env) != 0:
        raise RuntimeError(f"scripts/{script} start {' '.join(args)} failed")
    try:
        yield
    finally:
        if started:
            _script(script, stop, *args)


def folder(name: str, port: int, test_port: int) -> Path:
    """The test services' folder on their port, else one of the bench's own."""
    return ROOT / ".cache" / "test" / name if port == test_port else STATE / f"{name}-{port}"


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """The broker and database (bootstrap, admin DSN), as `service` starts and stops them."""
    with service("kafka.sh", folder("kafka", KAFKA_PORT, TEST_KAFKA_PORT), KAFKA_PORT), \
            service("postgres.sh", folder("postgres", PG_PORT, TEST_PG_PORT), PG_PORT):
        yield f"127.0.0.1:{KAFKA_PORT}", f"postgresql://eye:eye@127.0.0.1:{PG_PORT}/eye"


def fresh_database(admin_dsn: str, prefix: str = "eye_bench") -> str:
    return databases.create(admin_dsn, prefix)


def drop_database(admin_dsn: str, dsn: str) -> None:
    databases.drop(admin_dsn, dsn)


def settings_for(bootstrap: str, dsn: str, tag: str) -> Settings:
    """A worker's settings with topics, group, state folder and web port of its own."""
    return Settings(kafka_bootstrap=bootstrap, database_url=dsn, topic=f"bench-{tag}",
                    dlq_topic=f"bench-{tag}-dlq", control_topic=f"bench-{tag}-control",
                    consumer_group=f"bench-{tag}", worker_port=free_port(),
                    state_dir=STATE / f"worker-{tag}")


def count(dsn: str) -> int:
    """Rows stored so far: events and errors (every message ends as exactly one)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM events) + "
                           "(SELECT count(*) FROM errors)").fetchone()
    return int(row[0]) if row else 0


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    # Other work on the machine moves the figures: the load average tells how much there was.
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "cpu": cpu,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "platform": platform.platform(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def write_results(name: str, results: dict[str, Any], table: list[tuple[str, str]],
                  notes: str = "", out: Path | None = None) -> Path:
    """bench/results/NAME.json and .md, or OUT.json and OUT.md when `out` is given."""
    out = out or RESULTS / name
    out.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m bench." + name, *sys.argv[1:]])
    doc = {"command": command, "machine": machine(), **results}
    out.with_suffix(".json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    m = doc["machine"]
    lines = [f"# {name}", "", f"Command: `{command}`", "",
             f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, load average "
             f"{m['load_average_1m']} at the end, {m['date']}", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in table]
    if notes:
        lines += ["", notes]
    path = out.with_suffix(".md")
    path.write_text("\n".join(lines) + "\n")
    return path
