"""POST /v1/validate: the worker's verdict on each event, answered at once, nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import psycopg
from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.demo import demo_events
from store import applications
from tests.fixtures.kafka import read_topic

URL = "/v1/validate"


async def test_each_event_gets_the_workers_verdict_and_nothing_is_sent(
        topics: Settings, api: TestClient, app_key: str, database: str) -> None:
    good = demo_events(1)[0]
    future = {**good, "timestamp": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    no_path = {**good, "data": {"host": "www.example.com"}}
    body = orjson.dumps([good, future, no_path, "text"])
    resp = await api.post(URL, data=body, headers={"Authorization": f"Bearer {app_key}"})
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    assert (answer["valid"], answer["rejected"]) == (1, 3)
    assert [(v["index"], v["valid"], v.get("reason")) for v in answer["events"]] == [
        (0, True, None), (1, False, "timestamp_in_future"), (2, False, "missing_field"),
        (3, False, "not_an_object")]
    assert answer["events"][2]["detail"].startswith("data.path: ")
    assert answer["unchecked"] == ["duplicate_event"]

    # One event alone is judged byte for byte, as /v1/events passes it on.
    resp = await api.post(URL, data=orjson.dumps(good), headers={"X-Eye-App-Key": app_key})
    assert (await resp.json())["events"] == [{"index": 0, "valid": True}]

    assert read_topic(topics, 0, timeout=2.0) == []
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM errors").fetchone() == (0,)


async def test_a_missing_revoked_or_wrong_kind_of_key_rejects_every_event(
        api: TestClient, app_key: str, api_token: str, database: str) -> None:
    body = orjson.dumps(demo_events(1)[:2])

    async def verdicts(headers: dict[str, str]) -> list[dict[str, object]]:
        resp = await api.post(URL, data=body, headers=headers)
        assert resp.status == 200, await resp.text()
        events: list[dict[str, object]] = (await resp.json())["events"]
        assert {e["reason"] for e in events} == {"unauthorized_app"}
        return events

    assert "missing" in str((await verdicts({}))[0]["detail"])
    wrong = await verdicts({"Authorization": f"Bearer {api_token}"})
    assert "this is an API token (eyt_…)" in str(wrong[0]["detail"])
    with psycopg.connect(database, autocommit=True) as conn:
        [app] = applications.list_all(conn)
        applications.revoke(conn, app.name)
    revoked = await verdicts({"Authorization": f"Bearer {app_key}"})
    assert "unknown or revoked" in str(revoked[0]["detail"])

    resp = await api.post(URL, data=b"{not json", headers={"X-Eye-App-Key": app_key})
    assert resp.status == 400


async def test_an_api_token_sent_as_app_key_to_v1_events_is_named(
        api: TestClient, api_token: str) -> None:
    resp = await api.post("/v1/events", data=orjson.dumps(demo_events(1)[0]),
                          headers={"Authorization": f"Bearer {api_token}"})
    assert resp.status == 401
    detail = (await resp.json())["detail"]
    assert detail.startswith("not an app key: this is an API token (eyt_…)")
    assert "eye apps add NAME" in detail
