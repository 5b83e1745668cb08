"""deleteSession: a session's events, its row and the worker's state of it; admin tokens only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import psycopg
from confluent_kafka import Consumer

from base.settings import Settings
from tests.graphql_api.conftest import Ev, Gql, at, store_events, store_session

DELETE = 'mutation($id: String!) { deleteSession(id: $id) { sessionId events session } }'


async def two_sessions(database: str) -> None:
    t = at("2022-01-31 23:59:00")  # the session spans two monthly partitions
    for sid in ("gone", "kept"):
        events = await store_events(database, [Ev(sid, t + timedelta(minutes=i)) for i in range(3)])
        await store_session(database, events)


def counts(database: str) -> dict[str, tuple[int, int]]:
    with psycopg.connect(database) as conn:
        return {sid: (conn.execute("SELECT count(*) FROM events WHERE session_id = %s",
                                   (sid,)).fetchone()[0],  # type: ignore[index]
                      conn.execute("SELECT count(*) FROM sessions WHERE session_id = %s",
                                   (sid,)).fetchone()[0])  # type: ignore[index]
                for sid in ("gone", "kept")}


def control_messages(settings: Settings) -> list[tuple[bytes | None, dict[str, object]]]:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": f"test-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([settings.control_topic])
    got: list[tuple[bytes | None, dict[str, object]]] = []
    try:
        for _ in range(30):
            for msg in consumer.consume(num_messages=10, timeout=1.0):
                if msg.error() is None:
                    got.append((msg.key(), orjson.loads(msg.value())))  # type: ignore[arg-type]
            if got:
                return got
    finally:
        consumer.close()
    return got


async def test_an_admin_deletes_a_session(database: str, topics: Settings,
                                          admin_gql: Gql) -> None:
    await two_sessions(database)

    body = await admin_gql(DELETE, {"id": "gone"})

    assert body == {"data": {"deleteSession": {"sessionId": "gone", "events": 3, "session": True}}}
    assert counts(database) == {"gone": (0, 0), "kept": (3, 1)}
    assert control_messages(topics) == [
        (b"gone", {"action": "forget_session", "session_id": "gone"})]

    again = await admin_gql(DELETE, {"id": "gone"})
    assert again["data"]["deleteSession"] == {"sessionId": "gone", "events": 0, "session": False}


async def test_a_reader_may_not_delete(database: str, topics: Settings, gql: Gql) -> None:
    await two_sessions(database)

    body = await gql(DELETE, {"id": "gone"})

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["message"].startswith("deleteSession needs an admin token")
    assert counts(database) == {"gone": (3, 1), "kept": (3, 1)}


async def test_deleting_from_an_empty_database_says_nothing_was_there(
        database: str, topics: Settings, admin_gql: Gql) -> None:
    body = await admin_gql(DELETE, {"id": "never-seen"})
    assert body["data"]["deleteSession"] == {"sessionId": "never-seen", "events": 0,
                                             "session": False}


async def test_deleting_an_unknown_session_deletes_nothing_and_says_so(
        database: str, topics: Settings, admin_gql: Gql) -> None:
    await two_sessions(database)
    body = await admin_gql(DELETE, {"id": "never-seen"})
    assert body == {"data": {"deleteSession": {"sessionId": "never-seen", "events": 0,
                                               "session": False}}}
    assert counts(database) == {"gone": (3, 1), "kept": (3, 1)}


async def test_deleting_from_an_empty_database_says_nothing_was_there(
        database: str, topics: Settings, admin_gql: Gql) -> None:
    body = await admin_gql(DELETE, {"id": "never-seen"})
    assert body["data"]["deleteSession"] == {"sessionId": "never-seen", "events": 0,
                                             "session": False}
