"""POST /v1/events against the real broker and database: every answer the collector gives."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import psycopg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from eye.demo import demo_events
from eye.server import create_server
from kafka_edge.clients import APP_KEY_HEADER
from store import applications
from tests.fixtures.kafka import murmur2_partition, read_topic

URL = "/v1/events"


async def test_one_event_with_a_bearer_key_is_on_the_topic_when_answered(
        topics: Settings, api: TestClient, app_key: str) -> None:
    event = demo_events(1)[0]
    body = orjson.dumps(event)
    resp = await api.post(URL, data=body, headers={"Authorization": f"Bearer {app_key}",
                                                   "Content-Type": "application/json"})
    assert resp.status == 202, await resp.text()
    assert await resp.json() == {"accepted": 1}
    [record] = read_topic(topics, 1)
    assert record.value == body  # a single event is passed on byte for byte
    assert record.key == event["session_id"].encode()
    assert record.headers[APP_KEY_HEADER] == app_key.encode()


async def test_an_array_becomes_one_message_per_event_keyed_by_session(
        topics: Settings, api: TestClient, app_key: str) -> None:
    events = demo_events(3)
    resp = await api.post(URL, data=orjson.dumps(events), headers={"X-Eye-App-Key": app_key})
    assert resp.status == 202, await resp.text()
    assert await resp.json() == {"accepted": len(events)}
    records = read_topic(topics, len(events))
    assert sorted(r.value for r in records) == sorted(orjson.dumps(e) for e in events)
    for r in records:
        assert r.key == orjson.loads(r.value)["session_id"].encode()
        # Where the Java client would put it too: a session stays on one partition.
        assert r.partition == murmur2_partition(r.key, topics.topic_partitions)


async def test_events_the_worker_would_reject_still_reach_the_topic(
        topics: Settings, api: TestClient, app_key: str) -> None:
    bad = [{"session_id": "s-1"}, 42, "text", {"session_id": 7, "category": "x"}]
    resp = await api.post(URL, data=orjson.dumps(bad), headers={"X-Eye-App-Key": app_key})
    assert resp.status == 202
    records = read_topic(topics, len(bad))
    assert sorted(r.value for r in records) == sorted(orjson.dumps(b) for b in bad)
    assert sorted(r.key for r in records if r.key) == [b"s-1"]


async def test_a_beacon_sends_text_plain_with_the_key_in_the_body(
        topics: Settings, api: TestClient, app_key: str) -> None:
    events = demo_events(1)[:2]
    resp = await api.post(URL, data=orjson.dumps({"app_key": app_key, "events": events}),
                          headers={"Content-Type": "text/plain;charset=UTF-8",
                                   "Origin": "https://shop.example.com"})
    assert resp.status == 202
    assert resp.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Deprecation" not in resp.headers
    records = read_topic(topics, len(events))
    assert sorted(r.value for r in records) == sorted(orjson.dumps(e) for e in events)
    assert {r.headers[APP_KEY_HEADER] for r in records} == {app_key.encode()}


async def test_the_key_in_the_query_still_works_but_is_deprecated(
        topics: Settings, api: TestClient, app_key: str) -> None:
    events = demo_events(1)[:2]
    resp = await api.post(f"{URL}?app_key={app_key}", data=orjson.dumps(events),
                          headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert resp.status == 202
    assert resp.headers["Deprecation"] == "true"
    read_topic(topics, len(events))


@pytest.mark.parametrize("envelope, status", [
    ({"app_key": "eye_not-a-registered-key", "events": [{"session_id": "s"}]}, 401),
    ({"app_key": 7, "events": []}, 400),
    ({"app_key": "eye_x", "events": {"session_id": "s"}}, 400),
])
async def test_a_bad_envelope_is_refused(topics: Settings, api: TestClient,
                                         envelope: dict[str, object], status: int) -> None:
    resp = await api.post(URL, data=orjson.dumps(envelope))
    assert resp.status == status, await resp.text()


async def test_a_key_given_twice_is_400(topics: Settings, api: TestClient, app_key: str) -> None:
    body = orjson.dumps({"app_key": app_key, "events": demo_events(1)[:1]})
    resp = await api.post(URL, data=body, headers={"X-Eye-App-Key": app_key})
    assert resp.status == 400


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer eye_not-a-registered-key"},
    {"X-Eye-App-Key": "eye_not-a-registered-key"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
])
async def test_a_missing_or_unknown_key_is_401(topics: Settings, api: TestClient,
                                               headers: dict[str, str]) -> None:
    resp = await api.post(URL, data=orjson.dumps(demo_events(1)[0]), headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_revoked_key_is_401_once_the_cache_expires(
        kafka_bootstrap: str, database: str, settings: Settings) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        key = applications.add(conn, "soon-gone")
    quick = _with(settings, app_cache_seconds=0.0)
    async with _client(quick) as client:
        headers = {"X-Eye-App-Key": key}
        assert (await client.post(URL, data=b'{"session_id": "a"}', headers=headers)).status == 202
        with psycopg.connect(database, autocommit=True) as conn:
            applications.revoke(conn, "soon-gone")
        assert (await client.post(URL, data=b'{"session_id": "a"}', headers=headers)).status == 401


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[]", b'{"a": 1} trailing'])
async def test_a_body_that_is_not_json_events_is_400(topics: Settings, api: TestClient,
                                                     app_key: str, body: bytes) -> None:
    resp = await api.post(URL, data=body, headers={"X-Eye-App-Key": app_key})
    assert resp.status == 400
    assert (await resp.json())["error"] == "bad_request"


async def test_a_body_over_the_limit_is_413_with_or_without_content_length(
        topics: Settings, api: TestClient, app_key: str) -> None:
    limit = topics.collector_max_body_bytes
    big = orjson.dumps({"session_id": "s", "data": {"pad": "x" * limit}})
    resp = await api.post(URL, data=big, headers={"X-Eye-App-Key": app_key})
    assert resp.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    resp = await api.post(URL, data=chunks(), headers={"X-Eye-App-Key": app_key})
    assert resp.status == 413
    assert (await resp.json())["error"] == "too_large"


async def test_more_events_than_allowed_in_one_request_is_413(
        topics: Settings, api: TestClient, app_key: str) -> None:
    many = [{"session_id": "s"}] * (topics.collector_max_events + 1)
    resp = await api.post(URL, data=orjson.dumps(many), headers={"X-Eye-App-Key": app_key})
    assert resp.status == 413


async def test_503_when_the_broker_cannot_take_the_events(
        settings: Settings, app_key: str) -> None:
    nowhere = _with(settings, kafka_bootstrap="127.0.0.1:1", collector_delivery_timeout=1.0)
    async with _client(nowhere) as client:
        resp = await client.post(URL, data=orjson.dumps(demo_events(1)),
                                 headers={"X-Eye-App-Key": app_key})
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "1"
        assert (await resp.json())["error"] == "unavailable"


async def test_503_when_a_key_cannot_be_checked(kafka_bootstrap: str, settings: Settings) -> None:
    no_db = _with(settings, database_url="postgresql://eye:eye@127.0.0.1:1/eye")
    async with _client(no_db) as client:
        resp = await client.post(URL, data=b"{}", headers={"X-Eye-App-Key": "eye_any"})
        assert resp.status == 503


async def test_cors_preflight_and_allowed_origins(settings: Settings, app_key: str) -> None:
    only = _with(settings, collector_cors_origins="https://a.example, https://b.example")
    async with _client(only) as client:
        resp = await client.options(URL, headers={
            "Origin": "https://b.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-eye-app-key"})
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "https://b.example"
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        assert "X-Eye-App-Key" in resp.headers["Access-Control-Allow-Headers"]
        resp = await client.post(URL, data=b"{", headers={"Origin": "https://evil.example",
                                                          "X-Eye-App-Key": app_key})
        assert resp.status == 400
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_tracker_js_is_served(api: TestClient) -> None:
    resp = await api.get("/tracker.js")
    assert resp.status == 200
    assert resp.content_type == "application/javascript"
    assert "sendBeacon" in await resp.text()


def _with(settings: Settings, **changes: object) -> Settings:
    return Settings(**{**settings.model_dump(), **changes})


class _client:
    """A test server over settings of the test's own choosing."""

    def __init__(self, settings: Settings) -> None:
        self.client = TestClient(TestServer(create_server(settings)))

    async def __aenter__(self) -> TestClient:
        await self.client.start_server()
        return self.client

    async def __aexit__(self, *_exc: object) -> None:
        await self.client.close()
