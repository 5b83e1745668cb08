"""session(id) with its fields and events in time order; sessions(filter, first, after)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from base.settings import Settings
from store.db import POOL
from tests.graphql_api.conftest import Ev, Gql, at, client_gql, store_events, store_session

SESSION = """query($id: String!) { session(id: $id) {
  sessionId applicationId firstSeen lastSeen durationSeconds eventCount pageviews entryPage
  exitPage bounce events { id sessionId category name data timestamp } } }"""

SESSIONS = """query($filter: SessionFilter, $first: Int, $after: String) {
  sessions(filter: $filter, first: $first, after: $after) {
    edges { cursor node { sessionId firstSeen } } pageInfo { hasNextPage endCursor } } }"""


def visit(sid: str, start: str, paths: list[str]) -> list[Ev]:
    t = at(start)
    return [Ev(sid, t + timedelta(seconds=10 * i), data={"host": "h", "path": p})
            for i, p in enumerate(paths)]


async def test_a_session_has_its_fields_and_its_events_in_time_order(
        database: str, gql: Gql) -> None:
    events = visit("kfo70hfmvt3pfwmgc3tkt0xjbpja1rmu", "2022-01-03 07:39:23", ["/", "/a", "/b"])
    # stored out of order, and a click at the same instant as the second page view
    click = Ev(events[0].session_id, events[1].timestamp, "page interaction", "cta click",
               {"host": "h", "path": "/a", "element": "buy"})
    await store_events(database, [events[2], click, events[0], events[1]])
    await store_session(database, [*events, click], application_id=3)

    s = (await gql(SESSION, {"id": "kfo70hfmvt3pfwmgc3tkt0xjbpja1rmu"}))["data"]["session"]

    assert {k: v for k, v in s.items() if k != "events"} == {
        "sessionId": "kfo70hfmvt3pfwmgc3tkt0xjbpja1rmu", "applicationId": "3",
        "firstSeen": "2022-01-03T07:39:23+00:00", "lastSeen": "2022-01-03T07:39:43+00:00",
        "durationSeconds": 20.0, "eventCount": 4, "pageviews": 3, "entryPage": "/",
        "exitPage": "/b", "bounce": False}
    same_instant = sorted([events[1], click], key=lambda e: str(e.id))
    assert [e["id"] for e in s["events"]] == \
        [str(e.id) for e in [events[0], *same_instant, events[2]]]
    assert s["events"][0] == {"id": str(events[0].id), "sessionId": events[0].session_id,
                              "category": "page interaction", "name": "pageview",
                              "data": {"host": "h", "path": "/"},
                              "timestamp": "2022-01-03T07:39:23+00:00"}


async def test_an_unknown_session_is_null(database: str, gql: Gql) -> None:
    assert (await gql(SESSION, {"id": "nobody"})) == {"data": {"session": None}}


async def test_a_session_and_its_events_are_read_together(
        database: str, api: TestClient, gql: Gql, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two round trips, each waiting for a core on a busy machine, were most of a session(id)'s
    # time in bench.isolation's mix: the session's events come in the same round trip.
    events = visit("together", "2022-01-03 07:39:23", ["/", "/a", "/b"])
    await store_events(database, events)
    await store_session(database, events)
    pool = api.server.app[POOL]
    take = pool.connection
    taken = []
    monkeypatch.setattr(pool, "connection", lambda *a, **kw: taken.append(1) or take(*a, **kw))
    await gql("{ __typename }")  # the token's check, out of the way
    paths = ["/", "/a", "/b"]
    for query in (
            'query($id: String!) { session(id: $id) { eventCount events { data } } }',
            'query($id: String!) { session(id: $id) { ...S } } '
            'fragment S on Session { eventCount events { data } }',
            'query($id: String!) { session(id: $id) { eventCount ... on Session { '
            'events { data } } } }'):
        taken.clear()
        s = (await gql(query, {"id": "together"}))["data"]["session"]
        assert (s["eventCount"], [e["data"]["path"] for e in s["events"]]) == (3, paths)
        assert len(taken) == 1, query
    assert await gql('query($id: String!) { session(id: $id) { events { id } } }',
                     {"id": "nobody"}) == {"data": {"session": None}}
    # without its events, the session alone
    taken.clear()
    s = (await gql('{ session(id: "together") { eventCount } }'))["data"]["session"]
    assert s == {"eventCount": 3} and len(taken) == 1


async def test_a_long_session_lists_its_first_events_and_says_it_cut_the_rest(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    events = visit("long", "2022-01-01 00:00:00", [f"/{i}" for i in range(7)])
    await store_events(database, events)
    await store_session(database, events)
    client: TestClient = await server_with(settings, api_list_max=5)  # type: ignore[operator]

    body = await client_gql(client, api_token)(SESSION, {"id": "long"})

    assert [e["data"]["path"] for e in body["data"]["session"]["events"]] == \
        ["/0", "/1", "/2", "/3", "/4"]
    [note] = body["errors"]
    assert note["path"] == ["session", "events"]
    assert note["extensions"] == {"code": "LIST_TRUNCATED", "limit": 5}
    assert "more than 5 events" in note["message"]


async def test_sessions_page_in_first_seen_order_and_filter(database: str, gql: Gql) -> None:
    # three sessions start at the same instant: the session id breaks the tie
    for sid, start, app in [("c", "2022-01-01 10:00:00", 1), ("a", "2022-01-01 10:00:00", 1),
                            ("b", "2022-01-01 10:00:00", 2), ("d", "2022-01-02 09:00:00", 1),
                            ("e", "2021-12-31 23:00:00", 1)]:
        await store_session(database, visit(sid, start, ["/"]), application_id=app)

    seen: list[str] = []
    after = None
    while True:
        conn = (await gql(SESSIONS, {"first": 2, "after": after}))["data"]["sessions"]
        seen += [e["node"]["sessionId"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == ["e", "a", "b", "c", "d"]

    conn = (await gql(SESSIONS, {"filter": {"applicationId": "1", "from": "2022-01-01T00:00:00Z",
                                            "to": "2022-01-02T00:00:00Z"}}))["data"]["sessions"]
    assert [e["node"]["sessionId"] for e in conn["edges"]] == ["a", "c"]
