"""scripts/postgres.sh and scripts/port-holder.sh: what they leave behind, and what they say
about a port that is taken."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.services import ROOT
from tests.fixtures.stack import free_port

POSTGRES_HOME = Path("/var/lib/postgresql")


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "postgres.sh"), *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "EYE_PG_FSYNC": "off"})


@pytest.fixture
def private(tmp_path: Path) -> Path:
    """A folder the postgres user cannot enter, as a clone in a private home is."""
    assert os.geteuid() == 0, "these tests check what the script does when run as root"
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    return folder


def home_of(origin: Path) -> Path | None:
    for d in POSTGRES_HOME.glob("eye-*"):
        if (d / "origin").is_file() and (d / "origin").read_text().strip() == str(origin):
            return d
    return None


def test_discard_removes_the_folder_kept_outside_the_tree(private: Path) -> None:
    data, port = private / "test" / "postgres", str(free_port())
    started = script("start", str(data), port)
    assert started.returncode == 0, started.stderr
    home = home_of(data)
    try:
        assert home is not None and (home / "data" / "PG_VERSION").is_file()
        stopped = script("discard", str(data), port)
        assert stopped.returncode == 0, stopped.stderr
        assert "postgres: stopped" in stopped.stdout
        assert not home.exists()
    finally:
        script("discard", str(data), port)


def test_start_sweeps_folders_of_clones_that_are_gone(private: Path) -> None:
    stale = POSTGRES_HOME / "eye-gone-clone-test"
    (stale / "data").mkdir(parents=True, exist_ok=True)
    (stale / "origin").write_text("/nonexistent/clone/.cache/test/postgres\n")
    alive = POSTGRES_HOME / "eye-alive-clone-test"
    alive.mkdir(exist_ok=True)
    (alive / "origin").write_text(f"{private}/elsewhere/postgres\n")
    (private / "elsewhere").mkdir()
    data, port = private / "test" / "postgres", str(free_port())
    try:
        started = script("start", str(data), port)
        assert started.returncode == 0, started.stderr
        assert not stale.exists()
        assert "removed /var/lib/postgresql/eye-gone-clone-test, left by /nonexistent/" \
            in started.stderr
        assert alive.exists()  # its clone is still there
    finally:
        script("discard", str(data), port)
        subprocess.run(["rm", "-rf", str(stale), str(alive)], check=True)


def test_a_port_held_by_our_server_is_named_with_the_command_that_stops_it(
        postgres_dsn: str, tmp_path: Path) -> None:
    from tests.fixtures.services import PG_PORT, STATE

    other = tmp_path / "other"  # in a folder only root may enter
    taken = script("start", str(other), str(PG_PORT))
    assert taken.returncode == 1
    assert home_of(other) is None and not other.exists()  # nothing made
    assert f"postgres: port {PG_PORT} is taken by a PostgreSQL server of The Eye" in taken.stderr
    assert f"scripts/postgres.sh stop {STATE / 'postgres'} {PG_PORT}`" in taken.stderr
