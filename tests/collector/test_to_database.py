"""Through the door and all the way down: what the collector accepts, the worker stores."""

from __future__ import annotations

import orjson
from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.demo import demo_events
from tests.fixtures.rows import wait_rows
from tests.fixtures.stack import WorkerProcess


async def test_accepted_events_end_in_events_and_rejected_ones_in_errors(
        worker: WorkerProcess, api: TestClient, settings: Settings, app_key: str) -> None:
    good = demo_events(2)
    bad = [{"session_id": good[0]["session_id"], "category": "page interaction"}, 17]
    resp = await api.post("/v1/events", data=orjson.dumps(good + bad),
                          headers={"Authorization": f"Bearer {app_key}"})
    assert resp.status == 202
    stored = await wait_rows(settings.dsn, "SELECT session_id, name FROM events", len(good))
    assert sorted(stored) == sorted((e["session_id"], e["name"]) for e in good)
    errors = await wait_rows(settings.dsn, "SELECT reason FROM errors", len(bad))
    assert sorted(r for (r,) in errors) == ["missing_field", "not_an_object"]
