"""The worker as a child process, started and stopped the way an operator would: for tests,
benchmarks and fault drills."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import orjson

from base.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


class ProcessFailed(RuntimeError):
    pass


def settings_env(settings: Settings) -> dict[str, str]:
    """The EYE_* variables that rebuild `settings` in another process."""
    env: dict[str, str] = {}
    for key, value in settings.model_dump(mode="json").items():
        if key == "database_url":
            value = settings.dsn
        env[f"EYE_{key.upper()}"] = str(value)
    return env


class WorkerProcess:
    """`eye worker` in a subprocess, as it runs in production."""

    def __init__(self, settings: Settings, log_path: Path,
                 command: list[str] | None = None) -> None:
        self.settings = settings
        self.log_path = log_path
        # A test may run the worker through a wrapper that stages a fault first.
        self.command = command or [str(ROOT / ".venv" / "bin" / "eye"), "worker"]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, cwd=ROOT)
        try:
            self.wait_ready(timeout)
        except ProcessFailed:
            self.stop(signal.SIGKILL)  # never leave a half-started worker behind
            raise

    def health(self) -> dict[str, object] | None:
        url = f"http://127.0.0.1:{self.settings.worker_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return orjson.loads(r.read())  # type: ignore[no-any-return]
        except OSError:
            return None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise ProcessFailed(f"worker exited with {self.proc.returncode}:\n"
                                    f"{self.log_tail()}")
            h = self.health()
            if h and h.get("assigned_partitions") and not h.get("rebalancing"):
                return
            time.sleep(0.25)
        raise ProcessFailed(f"worker not ready after {timeout}s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_bytes(self) -> int:
        """Resident memory now, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise ProcessFailed("no VmRSS in /proc status")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
