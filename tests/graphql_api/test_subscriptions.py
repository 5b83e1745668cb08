"""Subscriptions over WebSocket against the real stack: events produced to Kafka reach a
subscriber once the worker committed them, in order; the protocol's refusals and limits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import psycopg
import pytest
from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from graphql_api.ws import HUB
from store import notify
from store.rows import Batch, EventRow, Source
from store.writer import Writer
from tests.fixtures.stack import WorkerProcess
from tests.graphql_api.ws_client import connect, small_window_connector, wait_until

SESSION_EVENTS = """subscription($id: String!) {
  sessionEvents(id: $id) { sessionId category name data timestamp } }"""
PAGEVIEWS = """subscription {
  events(filter: {category: "page interaction", name: "pageview"}) { sessionId name } }"""
ERRORS = 'subscription { errors(reason: "malformed_json") { reason payload partition offset } }'


def subscribers(api: TestClient) -> Callable[[], int]:
    return lambda: api.app[HUB].clients


async def test_a_subscriber_gets_events_produced_after_it_subscribed_in_order(
        worker: WorkerProcess, api: TestClient, settings: Settings, app_key: str,
        api_token: str) -> None:
    sent = demo_events(sessions=3, seed=7)
    sid = sent[0]["session_id"]
    mine = [e for e in sent if e["session_id"] == sid]
    before = demo_events(sessions=1)  # stored before anyone subscribed: not delivered
    for e in before:
        e["session_id"] = sid
    produce(settings, before, app_key=app_key)
    async with await psycopg.AsyncConnection.connect(settings.dsn, autocommit=True) as conn:
        while (await (await conn.execute("SELECT count(*) FROM events")).fetchone())[0] \
                < len(before):
            await asyncio.sleep(0.1)

    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("s", SESSION_EVENTS, {"id": sid})
    await client.subscribe("p", PAGEVIEWS)
    await wait_until(lambda: subscribers(api)() == 2)
    produce(settings, sent, app_key=app_key)

    got: dict[str, list[dict[str, Any]]] = {"s": [], "p": []}
    want = {"s": len(mine), "p": sum(e["name"] == "pageview" for e in sent)}
    while any(len(got[k]) < want[k] for k in got):
        message = await client.receive(timeout=30)
        assert message["type"] == "next", message
        got[message["id"]].append(message["payload"]["data"])
    session = [m["sessionEvents"] for m in got["s"]]
    # in the order they were produced (the demo's order is the session's time order)
    assert [(e["name"], e["data"]) for e in session] == [(e["name"], e["data"]) for e in mine]
    assert {e["sessionId"] for e in session} == {sid}
    assert sorted(m["events"]["sessionId"] for m in got["p"]) == \
        sorted(e["session_id"] for e in sent if e["name"] == "pageview")
    # nothing more: each event once
    with pytest.raises(asyncio.TimeoutError):
        await client.receive(timeout=1.5)
    await client.close()


async def test_rejections_reach_an_errors_subscription(
        worker: WorkerProcess, api: TestClient, settings: Settings, app_key: str,
        api_token: str) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("e", ERRORS)
    await wait_until(lambda: subscribers(api)() == 1)
    sid = str(uuid.uuid4())
    produce(settings, [b"{not json", orjson.dumps({"session_id": sid})], app_key=app_key)
    [got] = await client.nexts("e", 1)  # the second is missing_field: filtered out
    assert got["errors"]["reason"] == "malformed_json"
    assert got["errors"]["payload"] == "{not json"


def _event_row(session_id: str, offset: int, data: str = '{"host": "h", "path": "/"}'
               ) -> EventRow:
    now = datetime.now(UTC)
    return EventRow(uuid.uuid4(), session_id, "page interaction", "pageview", data, now, None,
                    Source("t", 0, offset, b"{}", "{}", now))


async def _insert(conn: psycopg.AsyncConnection, rows: list[EventRow]) -> None:
    from store.partitions import ensure_months, month_of

    await ensure_months(conn, {month_of(r.timestamp) for r in rows})
    async with conn.cursor() as cur:
        await cur.executemany(
            'INSERT INTO events (id, session_id, category, name, data, "timestamp", '
            "application_id, received_at, kafka_partition, kafka_offset) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(r.id, r.session_id, r.category, r.name, r.data, r.timestamp, r.application_id,
              r.source.received_at, r.source.partition, r.source.offset) for r in rows])


async def test_rows_reach_subscribers_only_when_their_transaction_commits(
        api: TestClient, settings: Settings, api_token: str) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("s", SESSION_EVENTS, {"id": "s-commit"})
    await wait_until(lambda: subscribers(api)() == 1)
    async with await psycopg.AsyncConnection.connect(settings.dsn, autocommit=True) as conn:
        rolled_back = [_event_row("s-commit", 0)]
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await _insert(conn, rolled_back)
                await notify.announce(conn, rolled_back, [])
                raise RuntimeError("roll back")
        committed = [_event_row("s-commit", 1)]
        async with conn.transaction():
            await _insert(conn, committed)
            await notify.announce(conn, committed, [])
            # inserted and announced, not committed: nothing may reach the subscriber
            with pytest.raises(asyncio.TimeoutError):
                await client.receive(timeout=1.5)
    [got] = await client.nexts("s", 1)
    assert got["sessionEvents"]["sessionId"] == "s-commit"
    with pytest.raises(asyncio.TimeoutError):
        await client.receive(timeout=1.0)


async def test_a_bad_or_missing_token_is_closed_4403(api: TestClient, api_token: str) -> None:
    for payload in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        client = await connect(api)
        await client.send({"type": "connection_init", "payload": payload})
        code, reason = await client.closed()
        assert code == 4403, (payload, reason)
    # the token's other spelling works too
    client = await connect(api)
    await client.send({"type": "connection_init", "payload": {"token": api_token}})
    assert await client.receive() == {"type": "connection_ack"}


async def test_a_token_check_the_database_cannot_answer_is_closed_try_again_later(
        api: TestClient, api_token: str, database: str) -> None:
    client = await connect(api)  # the pool holds a connection now
    await client.send({"type": "connection_init", "payload": {"token": api_token}})
    assert await client.receive() == {"type": "connection_ack"}
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                     "AND backend_type = 'client backend' AND query NOT ILIKE 'LISTEN%%'")
    client = await connect(api)
    await client.send({"type": "connection_init", "payload": {"token": api_token}})
    code, reason = await client.closed()
    assert (code, reason) == (1013, "Try Again Later: cannot check the token now")


async def test_the_protocol_refusals(api: TestClient, api_token: str,
                                     server_with: Any, settings: Settings) -> None:
    client = await connect(api)  # subscribe before the ack
    await client.subscribe("a", PAGEVIEWS)
    assert (await client.closed())[0] == 4401

    client = await connect(api)  # a second init
    await client.init(api_token)
    await client.send({"type": "connection_init", "payload": {}})
    assert (await client.closed())[0] == 4429

    client = await connect(api)  # an id in use
    await client.init(api_token)
    await client.subscribe("a", PAGEVIEWS)
    await client.subscribe("a", PAGEVIEWS)
    assert (await client.closed())[0] == 4409

    client = await connect(api)  # not JSON
    await client.ws.send_str("{nope")
    assert (await client.closed())[0] == 4400

    client = await connect(api, protocols=("graphql-ws",))  # the older protocol
    assert (await client.closed())[0] == 4406

    quick = await server_with(settings, api_ws_init_timeout=0.5, api_ws_idle_timeout=1.0)
    client = await connect(quick)  # no init in time
    assert (await client.closed(timeout=5))[0] == 4408
    client = await connect(quick)  # acknowledged, then nothing subscribed
    await client.init(api_token)
    code, reason = await client.closed(timeout=5)
    assert code == 1000 and reason.startswith("idle")


async def test_a_subscription_over_http_is_told_to_use_a_websocket(gql: Any) -> None:
    body = await gql(PAGEVIEWS, status=400)
    assert "needs a WebSocket" in body["errors"][0]["message"]


async def test_ping_pong_queries_and_invalid_documents(api: TestClient, api_token: str) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.send({"type": "ping"})
    assert await client.receive() == {"type": "pong"}
    await client.subscribe("q", "{ eventTypes { name } }")  # a query answers once
    answer = await client.receive()
    assert answer["type"] == "next" and answer["payload"]["data"]["eventTypes"]
    assert await client.receive() == {"id": "q", "type": "complete"}
    await client.subscribe("bad", "subscription { nosuch }")
    error = await client.receive()
    assert error["type"] == "error" and error["id"] == "bad"
    assert "Cannot query field 'nosuch'" in error["payload"][0]["message"]
    await client.subscribe("c", PAGEVIEWS)  # the client may complete a subscription
    await wait_until(lambda: subscribers(api)() == 1)
    await client.send({"id": "c", "type": "complete"})
    await wait_until(lambda: subscribers(api)() == 0)


async def test_open_subscriptions_per_token_are_limited_across_connections(
        server_with: Any, settings: Settings, api_token: str, admin_token: str) -> None:
    api = await server_with(settings, api_ws_max_subscriptions=2)
    first, second = await connect(api), await connect(api)
    await first.init(api_token)
    await second.init(api_token)
    await first.subscribe("1", PAGEVIEWS)
    await second.subscribe("2", PAGEVIEWS)
    await wait_until(lambda: subscribers(api)() == 2)
    await second.subscribe("3", PAGEVIEWS)
    refused = await second.receive()
    assert refused["type"] == "error" and refused["id"] == "3"
    assert refused["payload"][0]["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": 2}
    other = await connect(api)  # another token has its own count
    await other.init(admin_token)
    await other.subscribe("4", PAGEVIEWS)
    await wait_until(lambda: subscribers(api)() == 3)
    await first.send({"id": "1", "type": "complete"})  # one ends: room for one more
    await wait_until(lambda: subscribers(api)() == 2)
    await second.subscribe("5", PAGEVIEWS)
    await wait_until(lambda: subscribers(api)() == 3)


async def _write_events(dsn: str, session_id: str, n: int, data: str, first_offset: int = 0
                        ) -> None:
    writer = Writer(dsn)
    try:
        for start in range(0, n, 500):
            rows = [_event_row(session_id, first_offset + i, data)
                    for i in range(start, min(start + 500, n))]
            await writer.write(Batch(rows, [], {}, []))
    finally:
        await writer.close()


async def test_a_client_that_does_not_read_is_dropped_with_4503(
        server_with: Any, settings: Settings, api_token: str) -> None:
    api = await server_with(settings, api_ws_buffer=20)
    async with aiohttp.ClientSession(connector=small_window_connector()) as session:
        slow = await connect(api, session=session)
        await slow.init(api_token)
        await slow.subscribe("s", SESSION_EVENTS, {"id": "s-slow"})
        await wait_until(lambda: subscribers(api)() == 1)
        # 2 MB of events, written by the worker's writer, that the client does not read
        big = orjson.dumps({"host": "h", "path": "/", "pad": "x" * 4000}).decode()
        await _write_events(settings.dsn, "s-slow", 500, big)
        await wait_until(lambda: subscribers(api)() == 0, timeout=20)
        # reading now: what was on its way, then the close
        code, reason = await slow.closed(timeout=20)
    assert code == 4503, reason
    assert reason.startswith("slow consumer")


async def test_messages_per_second_are_paced_per_token(
        server_with: Any, settings: Settings, api_token: str) -> None:
    api = await server_with(settings, api_ws_messages_per_second=5, api_ws_buffer=1000)
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("s", SESSION_EVENTS, {"id": "s-paced"})
    await wait_until(lambda: subscribers(api)() == 1)
    await _write_events(settings.dsn, "s-paced", 15, '{"host": "h", "path": "/"}')
    started = asyncio.get_running_loop().time()
    await client.nexts("s", 15)
    # a burst of 5 at once, then 5 a second: the last ten take about two seconds
    assert asyncio.get_running_loop().time() - started >= 1.6


async def test_pipeline_reports_lag_and_rates(
        worker: WorkerProcess, api: TestClient, api_token: str, settings: Settings) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("p", """subscription { pipeline(everySeconds: 1) {
        measuredAt lag receivedPerSecond rejectedPerSecond error
        partitions { partition lag end } } }""")
    *_, first, second = await client.nexts("p", 4, timeout=40)
    for status in (first["pipeline"], second["pipeline"]):
        assert status["error"] is None, status
        assert [p["partition"] for p in status["partitions"]] == \
            list(range(settings.topic_partitions))
    assert second["pipeline"]["measuredAt"] >= first["pipeline"]["measuredAt"]
    assert second["pipeline"]["receivedPerSecond"] is not None


async def test_a_lost_notification_connection_ends_subscriptions_with_an_error(
        api: TestClient, settings: Settings, api_token: str) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("s", SESSION_EVENTS, {"id": "s-gap"})
    await wait_until(lambda: subscribers(api)() == 1)
    async with await psycopg.AsyncConnection.connect(settings.dsn, autocommit=True) as conn:
        # as a PostgreSQL restart would: the API's LISTEN connection is cut
        cur = await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND query LIKE 'LISTEN %%' "
                                 "AND pid <> pg_backend_pid()")
        assert await cur.fetchall() == [(True,)]
    message = await client.receive()
    assert message["type"] == "next" and message["id"] == "s"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "FEED_INTERRUPTED"
    assert await client.receive() == {"id": "s", "type": "complete"}
    # a new subscription listens again, on a new connection
    await client.subscribe("t", SESSION_EVENTS, {"id": "s-gap"})
    await wait_until(lambda: subscribers(api)() == 1)
    async with await psycopg.AsyncConnection.connect(settings.dsn, autocommit=True) as conn:
        rows = [_event_row("s-gap", 0)]
        async with conn.transaction():
            await _insert(conn, rows)
            await notify.announce(conn, rows, [])
    [got] = await client.nexts("t", 1)
    assert got["sessionEvents"]["sessionId"] == "s-gap"


async def test_a_redelivered_batch_is_not_sent_twice(
        api: TestClient, settings: Settings, api_token: str) -> None:
    client = await connect(api)
    await client.init(api_token)
    await client.subscribe("s", SESSION_EVENTS, {"id": "s-again"})
    await wait_until(lambda: subscribers(api)() == 1)
    rows = [_event_row("s-again", i) for i in range(3)]
    writer = Writer(settings.dsn)
    try:
        await writer.write(Batch(rows, [], {}, []))
        await writer.write(Batch(rows, [], {}, []))  # as after a crash before the offset commit
    finally:
        await writer.close()
    assert len(await client.nexts("s", 3)) == 3
    with pytest.raises(asyncio.TimeoutError):
        await client.receive(timeout=1.5)


async def test_clients_of_the_same_subscription_share_one_execution(
        api: TestClient, settings: Settings, api_token: str) -> None:
    hub = api.app[HUB]
    first, second, other = await connect(api), await connect(api), await connect(api)
    for c in (first, second, other):
        await c.init(api_token)
    await first.subscribe("a", SESSION_EVENTS, {"id": "s-shared"})
    await second.subscribe("b", SESSION_EVENTS, {"id": "s-shared"})
    await other.subscribe("c", SESSION_EVENTS, {"id": "s-other"})
    await wait_until(lambda: hub.clients == 3)
    assert hub.streams == 2
    await _write_events(settings.dsn, "s-shared", 2, '{"host": "h", "path": "/"}')
    assert len(await first.nexts("a", 2)) == len(await second.nexts("b", 2)) == 2
    await first.send({"id": "a", "type": "complete"})  # one leaves, the other stays
    await wait_until(lambda: hub.clients == 2)
    await _write_events(settings.dsn, "s-shared", 1, '{"host": "h", "path": "/"}',
                        first_offset=2)
    [got] = await second.nexts("b", 1)
    assert got["sessionEvents"]["sessionId"] == "s-shared"
    with pytest.raises(asyncio.TimeoutError):
        await other.receive(timeout=1.0)
