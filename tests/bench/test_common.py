"""The benchmarks' harness stops what it starts, and `python -m bench` explains itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import service
from tests.fixtures.services import ROOT
from tests.fixtures.stack import free_port


def running(folder: Path, port: int) -> bool:
    return subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "status", str(folder),
                           str(port)]).returncode == 0


def test_a_database_the_benchmark_started_is_stopped_however_it_ends(tmp_path: Path) -> None:
    folder, port = tmp_path / "pg", free_port()
    with pytest.raises(KeyboardInterrupt), service("postgres.sh", folder, port,
                                                   env={"EYE_PG_FSYNC": "off"}, stop="discard"):
        assert running(folder, port)
        raise KeyboardInterrupt  # as when the user stops a long run
    assert not running(folder, port)


def test_a_database_already_running_is_left_running(postgres_dsn: str) -> None:
    from tests.fixtures.services import PG_PORT, STATE

    with service("postgres.sh", STATE / "postgres", PG_PORT):
        pass
    assert running(STATE / "postgres", PG_PORT)


def test_python_m_bench_help_prints_help_and_runs_nothing() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m bench [-h] [--only NAME]")
    assert "== bench." not in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "invalid choice: 'nope'" in proc.stderr
