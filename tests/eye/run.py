"""Run `eye` as a user does: the installed command in a subprocess, on a test's settings."""

from __future__ import annotations

import os
import subprocess

from base.settings import Settings
from tests.fixtures.services import ROOT
from tests.fixtures.stack import settings_env


def eye(settings: Settings, *args: str, stdin: bytes | None = None, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings), **(env or {})}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "eye"), *args], env=env, cwd=ROOT,
                          input=stdin.decode() if stdin else None, capture_output=True,
                          text=True, timeout=timeout)


def one_line_failure(proc: subprocess.CompletedProcess[str], status: int = 1) -> str:
    """The single stderr line of a command that failed as it should; asserts there is no
    traceback and nothing more."""
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]
