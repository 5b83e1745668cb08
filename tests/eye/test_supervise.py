"""The supervisor `make up` runs the worker and the API under, run for real on small commands."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eye.supervise import exit_reason

ROOT = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"started pid (\d+)")
RESTART = re.compile(r"pid \d+ (.+) after [\d.]+ s; restarting in ([\d.]+) s")


class Supervised:
    """`python -m eye.supervise` in a session of its own, with its journal and its child's log."""

    def __init__(self, tmp: Path, command: str, **options: float) -> None:
        self.tmp, self.journal, self.log = tmp, tmp / "supervisor.log", tmp / "child.log"
        flags = [f"--{k}={v}" for k, v in {"first": 0.2, "cap": 0.8, "steady": 30,
                                           "grace": 5, **options}.items()]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "eye.supervise", "--name", "child", "--log", str(self.log),
             "--journal", str(self.journal), *flags, "--", "sh", "-c", command],
            cwd=tmp, start_new_session=True)

    def text(self) -> str:
        return self.journal.read_text() if self.journal.exists() else ""

    def children(self) -> list[int]:
        return [int(pid) for pid in STARTED.findall(self.text())]

    def restarts(self) -> list[tuple[str, float]]:
        return [(reason, float(wait)) for reason, wait in RESTART.findall(self.text())]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)

    def leftovers(self) -> list[int]:
        """Live processes in the supervisor's group or in any child's group."""
        groups = {self.proc.pid, *self.children()}
        return [pid for pid, pgid in _processes() if pgid in groups]


def _processes() -> Iterator[tuple[int, int]]:
    """(pid, process group) of every process that is not a zombie, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if state != "Z":
            yield int(entry.name), int(pgrp)


def _alive(pid: int) -> bool:
    return any(p == pid for p, _ in _processes())


def wait_until(condition: Callable[[], object], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(command: str, **options: float) -> Supervised:
        started.append(Supervised(tmp_path, command, **options))
        return started[-1]

    yield start
    for s in started:  # a failed test leaves nothing running either
        for pgid in (s.proc.pid, *s.children()):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        s.proc.wait()


def test_exit_reasons_name_the_code_or_the_signal() -> None:
    assert exit_reason(3) == "exited with 3"
    assert exit_reason(0) == "exited with 0"
    assert exit_reason(-9) == "killed by SIGKILL"
    assert exit_reason(-15) == "killed by SIGTERM"


def test_a_child_that_exits_is_restarted_after_a_doubling_wait_that_resets(
        supervise: Callable[..., Supervised]) -> None:
    # Runs 0-3 and 5 exit at once; run 4 lasts longer than --steady, so the wait starts over.
    s = supervise('n=$(cat runs 2>/dev/null || echo 0); echo $((n + 1)) > runs; echo "run $n";'
                  ' [ "$n" = 4 ] && sleep 1.5; exit 3', steady=1.0)
    wait_until(lambda: len(s.restarts()) >= 6)
    assert s.restarts()[:6] == [("exited with 3", w) for w in (0.2, 0.4, 0.8, 0.8, 0.2, 0.4)]
    # Each exit is logged with the last lines of its own run.
    first_exit = s.text().split("restarting in")[1]
    assert "| run 0" in first_exit.split("started pid")[0]
    assert "| run 1" not in first_exit.split("started pid")[0]
    assert s.stop() == 0
    assert s.leftovers() == []


def test_a_killed_child_is_restarted_and_the_signal_is_named(
        supervise: Callable[..., Supervised]) -> None:
    s = supervise("exec sleep 300")
    wait_until(lambda: s.children())
    first = s.children()[0]
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: len(s.children()) == 2)
    assert s.restarts() == [("killed by SIGKILL", 0.2)]
    second = s.children()[1]
    assert second != first and _alive(second)
    assert s.stop() == 0
    assert f"stopping: pid {second} killed by SIGTERM" in s.text()
    assert s.leftovers() == []


def test_stopping_takes_down_a_child_that_ignores_sigterm_and_what_it_started(
        supervise: Callable[..., Supervised], tmp_path: Path) -> None:
    s = supervise("trap '' TERM; sleep 300 & echo $! > grandchild; wait", grace=0.5)
    wait_until(lambda: (tmp_path / "grandchild").exists() and s.children())
    grandchild = int((tmp_path / "grandchild").read_text())
    assert _alive(grandchild)
    assert s.stop() == 0
    assert "still running 0.5 s after SIGTERM; SIGKILL" in s.text()
    assert s.text().rstrip().endswith("child: stopped")
    assert not _alive(grandchild)
    assert s.leftovers() == []
    assert s.restarts() == []
