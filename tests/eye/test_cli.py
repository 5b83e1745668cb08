"""Every `eye` command driven as a user does, in a subprocess: what it does right, and that a
mistake ends in one line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import psycopg

from base.settings import Settings
from eye.loadgen import generate
from tests.eye.run import eye, one_line_failure
from tests.fixtures.rows import wait_rows
from tests.fixtures.stack import WorkerProcess

DB_AWAY = {"EYE_DATABASE_URL": "postgresql://eye:eye@127.0.0.1:1/eye"}


def last_line(proc: object) -> str:
    assert proc.returncode == 0, (proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    return str(proc.stdout).strip().splitlines()[-1]  # type: ignore[attr-defined]


def test_an_unknown_command_or_option_is_one_line(settings: Settings) -> None:
    assert "invalid choice: 'nope'" in one_line_failure(eye(settings, "nope"), status=2)
    line = one_line_failure(eye(settings, "apps", "add"), status=2)
    assert line.startswith("eye apps add: the following arguments are required: name")
    assert line.endswith("(see `eye apps add --help`)")


def test_apps_add_list_revoke_restore(settings: Settings) -> None:
    assert "a name cannot be blank" in one_line_failure(eye(settings, "apps", "add", ""), 2)
    assert "a name cannot be blank" in one_line_failure(eye(settings, "apps", "add", "  "), 2)
    assert last_line(eye(settings, "apps", "add", " shop ")).startswith("eye_")
    assert "exists already" in one_line_failure(eye(settings, "apps", "add", "shop"))
    assert "`eye apps restore shop`" in last_line(eye(settings, "apps", "revoke", "shop"))
    assert "revoked" in last_line(eye(settings, "apps", "list"))
    assert "no active application named 'shop'" in one_line_failure(
        eye(settings, "apps", "revoke", "shop"))
    assert "restored" in last_line(eye(settings, "apps", "restore", "shop"))
    assert last_line(eye(settings, "apps", "list")).endswith("active")
    assert "is not revoked" in one_line_failure(eye(settings, "apps", "restore", "shop"))
    assert "no application named 'nope'" in one_line_failure(
        eye(settings, "apps", "restore", "nope"))
    line = one_line_failure(eye(settings, "apps", "list", env=DB_AWAY))
    assert line.startswith("eye: cannot reach PostgreSQL (EYE_DATABASE_URL): ")


def test_tokens_add_list_revoke(settings: Settings) -> None:
    assert "a name cannot be blank" in one_line_failure(eye(settings, "tokens", "add", "   "), 2)
    assert last_line(eye(settings, "tokens", "add", "reader")).startswith("eyt_")
    assert "exists already" in one_line_failure(eye(settings, "tokens", "add", "reader"))
    assert "revoked" in last_line(eye(settings, "tokens", "revoke", "reader"))
    assert "no active token named 'reader'" in one_line_failure(
        eye(settings, "tokens", "revoke", "reader"))
    assert "revoked" in last_line(eye(settings, "tokens", "list"))


def test_a_database_without_the_schema_says_to_migrate(settings: Settings,
                                                       postgres_dsn: str) -> None:
    name = "eye_t_empty_cli"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        empty = {"EYE_DATABASE_URL": postgres_dsn.rsplit("/", 1)[0] + f"/{name}"}
        line = one_line_failure(eye(settings, "apps", "list", env=empty))
        assert line == ("eye: the database has no tables of The Eye (or older ones): run "
                        "`eye migrate` first")
        assert last_line(eye(settings, "migrate", env=empty)).startswith("migrated: 001_")
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migrate_and_partitions(settings: Settings) -> None:
    assert last_line(eye(settings, "migrate")) == "migrated: nothing to do"
    assert last_line(eye(settings, "partitions")).startswith("expired events")
    for command in ("migrate", "partitions"):
        assert "cannot reach PostgreSQL" in one_line_failure(eye(settings, command, env=DB_AWAY))


def test_topics_and_schemas(settings: Settings) -> None:
    assert settings.topic in last_line(eye(settings, "topics"))
    assert last_line(eye(settings, "topics")) == "topics created: none (all exist)"
    proc = eye(settings, "schemas")
    assert proc.returncode == 0
    assert orjson.loads(proc.stdout)["event_types"]


def test_a_bad_setting_is_named_for_any_command(settings: Settings) -> None:
    for command in ("worker", "api", "schemas"):
        line = one_line_failure(eye(settings, command, env={"EYE_BATCH_SIZE": "0"}))
        assert line.startswith("eye: bad setting: EYE_BATCH_SIZE: "), line


def test_api_on_a_taken_port_is_one_line(settings: Settings) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        line = one_line_failure(eye(settings, "api", env={"EYE_API_PORT": str(port)},
                                    timeout=60))
    assert str(port) in line and "address already in use" in line.lower(), line


def test_lag_set_aside_and_demo_refuse_bad_arguments(settings: Settings) -> None:
    assert "more than 0 seconds" in one_line_failure(eye(settings, "lag", "--interval", "0"), 2)
    assert "numbered from 0" in one_line_failure(
        eye(settings, "set-aside", "--partition", "-1"), 2)
    assert "at least 1" in one_line_failure(
        eye(settings, "demo", "--app-key", "eye_x", "--sessions", "0"), 2)
    line = one_line_failure(eye(settings, "demo", "--app-key", "eyt_abc"))
    assert line.startswith("eye: --app-key: this is an API token (eyt_…)")


def test_lag_reads_the_broker(settings: Settings) -> None:
    eye(settings, "topics")
    assert last_line(eye(settings, "lag")).startswith("    total")


def test_replay_checks_its_arguments(settings: Settings) -> None:
    line = one_line_failure(eye(settings, "replay", "--reason", "missing_feild"), 2)
    assert "'missing_feild' is not a rejection reason; did you mean missing_field?" in line
    line = one_line_failure(eye(settings, "replay", "--reason", "missing_field", "--since",
                                "yesterday"), 2)
    assert "'yesterday' is neither an ISO time" in line
    assert last_line(eye(settings, "replay", "--reason", "missing_field", "--since", "2h")
                     ).startswith("checked 0 rejections (missing_field)")


async def test_a_restored_app_makes_a_replay_of_its_rejections_succeed(
        worker: WorkerProcess, settings: Settings, tmp_path: Path) -> None:
    key = last_line(eye(settings, "apps", "add", "site"))
    last_line(eye(settings, "apps", "revoke", "site"))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(m.value for m in generate(5, sessions=2)) + b"\n")
    proc = eye(settings, "produce", str(path), "--app-key", key, "--quiet", "--wait", "30")
    assert proc.stdout.strip().splitlines()[-1].startswith("  unauthorized_app 5: ")
    last_line(eye(settings, "apps", "restore", "site"))
    assert last_line(eye(settings, "replay", "--reason", "unauthorized_app", "--since", "1h")
                     ).startswith("checked 5 rejections (unauthorized_app); moved 5 into events")
    await wait_rows(settings.dsn, "SELECT 1 FROM events", 5)


async def test_load_makes_new_sessions_each_run_unless_seeded(
        worker: WorkerProcess, settings: Settings, app_key: str) -> None:
    assert "at least 1" in one_line_failure(eye(settings, "load", "--events", "0"), 2)
    for _ in range(2):
        proc = eye(settings, "load", "--events", "20", "--sessions", "2", "--app-key", app_key,
                   "--quiet")
        assert last_line(proc).startswith("sent 20, failed 0")
        assert proc.stderr.startswith("seed ")
    await wait_rows(settings.dsn, "SELECT 1 FROM events", 40)
    for _ in range(2):
        last_line(eye(settings, "load", "--events", "10", "--sessions", "2", "--seed", "7",
                      "--app-key", app_key, "--quiet"))
    await wait_rows(settings.dsn, "SELECT 1 FROM errors WHERE reason = 'duplicate_event'", 10)
    with psycopg.connect(settings.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (50,)


def test_python_m_eye_is_the_eye_command(settings: Settings) -> None:
    import subprocess
    import sys

    from tests.fixtures.services import ROOT

    proc = subprocess.run([sys.executable, "-m", "eye", "errors", "--since", "soon"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert "'soon' is neither an ISO time" in one_line_failure(proc, status=2)
