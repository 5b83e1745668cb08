"""`eye errors`: the latest rejections with reason, detail and payload, filtered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from base.settings import Settings
from store import applications
from tests.eye.run import eye, one_line_failure
from tests.fixtures.rows import store_errors


async def test_eye_errors_shows_reasons_details_and_payloads_filtered(
        settings: Settings, database: str) -> None:
    now = datetime.now(UTC)
    await store_errors(database, [
        ("missing_field", b'{"session_id": "s-1", "marker": "first"}', now - timedelta(days=2)),
        ("timestamp_in_future", b'{"session_id": "s-1", "marker": "second"}', now),
        ("unauthorized_app", b'{"session_id": "s-2", "marker": "third"}', now),
        ("malformed_json", b"x" * 500, now)])
    with psycopg.connect(database, autocommit=True) as conn:
        applications.add(conn, "shop")
        conn.execute("UPDATE errors SET application_id = (SELECT id FROM applications) "
                     'WHERE "offset" = 1')

    proc = eye(settings, "errors")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("first") < out.index("second")  # newest last
    assert "detail of timestamp_in_future" in out and "app shop" in out
    assert "x" * 160 + "… (500 bytes)" in out
    assert out.strip().splitlines()[-1] == "4 rejected message(s), newest last"

    def shown(*args: str) -> list[str]:
        proc = eye(settings, "errors", *args)
        assert proc.returncode == 0, proc.stderr
        return [m for m in ("first", "second", "third") if m in proc.stdout]

    assert shown("--session", "s-1") == ["first", "second"]
    assert shown("--session", "s-1", "--since", "1h") == ["second"]
    assert shown("--app", "shop") == ["second"]
    assert shown("--reason", "unauthorized_app") == ["third"]
    assert shown("--since", (now - timedelta(days=3)).date().isoformat(), "--limit", "1"
                 ) == []  # only the newest: the malformed one
    assert "older ones match too" in eye(settings, "errors", "--limit", "1").stdout
    assert eye(settings, "errors", "--session", "nobody").stdout.strip() == \
        "no rejected messages match"

    assert "no application named 'nope'" in one_line_failure(eye(settings, "errors", "--app",
                                                                  "nope"))
    assert "did you mean missing_field?" in one_line_failure(
        eye(settings, "errors", "--reason", "missing_feild"), status=2)
    assert "neither an ISO time" in one_line_failure(
        eye(settings, "errors", "--since", "yesterday"), status=2)
