"""The thin path: events produced with confluent-kafka to the real broker, read back over GraphQL."""

from __future__ import annotations

import asyncio
import time

import orjson
from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from tests.fixtures.stack import WorkerProcess, graphql

QUERY = """query($id: String!) { session(id: $id) {
  sessionId eventCount pageviews entryPage exitPage bounce
  events { sessionId category name data timestamp } } }"""


async def wait_for_session(api: TestClient, token: str, sid: str, count: int,
                           timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = await graphql(api, QUERY, {"id": sid}, Authorization=f"Bearer {token}")
        assert "errors" not in body, body
        session = body["data"]["session"]  # type: ignore[index]
        if session and session["eventCount"] == count:
            return session  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"session {sid} not complete: {session}"
        await asyncio.sleep(0.2)


async def test_events_from_kafka_answer_through_graphql(
        worker: WorkerProcess, api: TestClient, settings: Settings,
        app_key: str, api_token: str) -> None:
    events = demo_events(sessions=3)
    produce(settings, events, app_key=app_key)
    for sid in {e["session_id"] for e in events}:
        sent = [e for e in events if e["session_id"] == sid]
        session = await wait_for_session(api, api_token, sid, len(sent))
        got = session["events"]
        assert [(e["category"], e["name"], e["data"]) for e in got] == \
               [(e["category"], e["name"], e["data"]) for e in sent]
        stamps = [e["timestamp"] for e in got]
        assert stamps == sorted(stamps)
        assert session["pageviews"] == sum(e["name"] == "pageview" for e in sent)


async def test_bad_messages_become_errors_and_do_not_stop_the_partition(
        worker: WorkerProcess, api: TestClient, settings: Settings,
        app_key: str, api_token: str) -> None:
    good = demo_events(sessions=1)
    sid = good[0]["session_id"]
    produce(settings, [b"{not json", b"\xff\xfe", orjson.dumps({"session_id": sid})], app_key=app_key)
    produce(settings, good[:1], app_key="eye_not-a-key")
    produce(settings, good, app_key=app_key)
    await wait_for_session(api, api_token, sid, len(good))
    import psycopg

    with psycopg.connect(settings.dsn) as conn:
        reasons = sorted(r for (r,) in conn.execute("SELECT reason FROM errors"))
    assert reasons == ["invalid_encoding", "malformed_json", "missing_field", "unauthorized_app"]
