"""The three queries the seed's users ran answer here unchanged (its graphene-django shapes)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from base.settings import Settings
from tests.graphql_api.conftest import Ev, Gql, at, client_gql, store_events

# Verbatim from the seed document.
BY_SESSION = """query {allEventsBySessionId(sessionId:"kfo70hfmvt3pfwmgc3tkt0xjbpja1rmu") {
sessionId
eventsBySession {
category {
name
}
name
data
timestamp {
timestamp
}
}
}
}"""

FROM_DATE_TO = """query {
allEventsFromDateTo(fromDate: "2021-12-31 12:17:32.047892+00:00",
toDate: "2022-01-03 07:39:23.066994+00:00") {
eventsByTime {
sessionId {
sessionId
}
category {
name
}
name
data
timestamp {
timestamp
}
}
}
}"""

BY_CATEGORY = """query {allEventsByCategory(name:"page interaction") {
eventsByCategory {
category {
name
}
name
data
timestamp {
timestamp
}
}
}
}"""

SID = "kfo70hfmvt3pfwmgc3tkt0xjbpja1rmu"


async def seed_data(database: str) -> list[Ev]:
    t = at("2022-01-01 10:00:00")
    return await store_events(database, [
        Ev(SID, t, data={"host": "h", "path": "/"}),
        Ev(SID, t + timedelta(seconds=5), "page interaction", "cta click",
           {"host": "h", "path": "/", "element": "signup"}),
        Ev(SID, t + timedelta(seconds=9), "form interaction", "submit",
           {"host": "h", "path": "/signup", "form": {"plan": "team"}}),
        Ev("other", t + timedelta(seconds=5), data={"host": "h", "path": "/docs"}),
        Ev("other", at("2021-12-31 12:17:32.047892"), data={"host": "h", "path": "/early"}),
        Ev("other", at("2022-01-03 07:39:23.066994"), data={"host": "h", "path": "/late"}),
        Ev("other", at("2022-01-03 07:39:23.066995"), data={"host": "h", "path": "/too-late"}),
    ])


def seed_event(category: str, name: str, data: dict[str, object], ts: str) -> dict[str, object]:
    return {"category": {"name": category}, "name": name, "data": data,
            "timestamp": {"timestamp": ts}}


async def test_all_events_by_session_id(database: str, gql: Gql) -> None:
    await seed_data(database)
    assert await gql(BY_SESSION) == {"data": {"allEventsBySessionId": [{
        "sessionId": SID,
        "eventsBySession": [
            seed_event("page interaction", "pageview", {"host": "h", "path": "/"},
                       "2022-01-01T10:00:00+00:00"),
            seed_event("page interaction", "cta click",
                       {"host": "h", "path": "/", "element": "signup"},
                       "2022-01-01T10:00:05+00:00"),
            seed_event("form interaction", "submit",
                       {"host": "h", "path": "/signup", "form": {"plan": "team"}},
                       "2022-01-01T10:00:09+00:00"),
        ]}]}}


async def test_all_events_by_session_id_of_an_unknown_session_is_empty(
        database: str, gql: Gql) -> None:
    assert await gql(BY_SESSION) == {"data": {"allEventsBySessionId": []}}


async def test_all_events_from_date_to_includes_both_ends_grouped_by_instant(
        database: str, gql: Gql) -> None:
    await seed_data(database)
    times = (await gql(FROM_DATE_TO))["data"]["allEventsFromDateTo"]
    flat = [(e["sessionId"]["sessionId"], e["data"]["path"], e["timestamp"]["timestamp"])
            for t in times for e in t["eventsByTime"]]
    assert [p for _, p, _ in flat] == ["/early", "/", "/", "/docs", "/signup", "/late"] or \
        [p for _, p, _ in flat] == ["/early", "/", "/docs", "/", "/signup", "/late"]
    assert [len(t["eventsByTime"]) for t in times] == [1, 1, 2, 1, 1]
    # the two events at 10:00:05 share one instant, like the seed's Time rows
    assert {s for s, _, ts in flat if ts == "2022-01-01T10:00:05+00:00"} == {SID, "other"}
    assert flat[0] == ("other", "/early", "2021-12-31T12:17:32.047892+00:00")
    assert flat[-1] == ("other", "/late", "2022-01-03T07:39:23.066994+00:00")


async def test_all_events_by_category(database: str, gql: Gql) -> None:
    await seed_data(database)
    [category] = (await gql(BY_CATEGORY))["data"]["allEventsByCategory"]
    events = category["eventsByCategory"]
    assert {e["category"]["name"] for e in events} == {"page interaction"}
    stamps = [e["timestamp"]["timestamp"] for e in events]
    assert len(events) == 6 and stamps == sorted(stamps)
    assert (await gql('{ allEventsByCategory(name: "nothing") { name } }')) == \
        {"data": {"allEventsByCategory": []}}


async def test_the_seed_s_objects_lead_back_to_their_events(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    await seed_data(database)
    # Lists nested in lists multiply the cost bound, and the statements of fields asked on each
    # item: with lists of at most 10 this one fits in both.
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_list_max=10, api_max_statements=21)
    gql = client_gql(client, api_token)
    query = """{ allEventsFromDateTo(fromDate: "2022-01-01 10:00:05", toDate: "2022-01-01 10:00:05")
      { timestamp eventsByTime { name sessionId { sessionId eventsBySession { name } }
                                 category { name } timestamp { eventsByTime { id } } } } }"""
    [moment] = (await gql(query))["data"]["allEventsFromDateTo"]
    assert moment["timestamp"] == "2022-01-01T10:00:05+00:00"
    by_session = {e["sessionId"]["sessionId"]: e for e in moment["eventsByTime"]}
    assert [e["name"] for e in by_session[SID]["sessionId"]["eventsBySession"]] == \
        ["pageview", "cta click", "submit"]
    assert [e["name"] for e in by_session["other"]["sessionId"]["eventsBySession"]] == \
        ["pageview"] * 4
    assert all(len(e["timestamp"]["eventsByTime"]) == 2 for e in moment["eventsByTime"])


async def test_a_seed_list_beyond_the_cap_is_cut_with_an_error(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    await seed_data(database)
    client: TestClient = await server_with(settings, api_list_max=4)  # type: ignore[operator]
    body = await client_gql(client, api_token)(BY_CATEGORY)
    assert len(body["data"]["allEventsByCategory"][0]["eventsByCategory"]) == 4
    assert body["errors"][0]["extensions"] == {"code": "LIST_TRUNCATED", "limit": 4}
    assert body["errors"][0]["path"] == ["allEventsByCategory", 0, "eventsByCategory"]


async def test_a_list_not_asked_for_is_not_said_to_be_cut(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    await seed_data(database)
    client: TestClient = await server_with(settings, api_list_max=3)  # type: ignore[operator]
    gql = client_gql(client, api_token)
    body = await gql('{ allEventsByCategory(name: "page interaction") { name } }')
    assert body == {"data": {"allEventsByCategory": [{"name": "page interaction"}]}}
    body = await gql('{ allEventsBySessionId(sessionId: "other") { sessionId } }')
    assert body == {"data": {"allEventsBySessionId": [{"sessionId": "other"}]}}
    body = await gql('{ allEventsBySessionId(sessionId: "other") { eventsBySession { name } } }')
    assert body["errors"][0]["path"] == ["allEventsBySessionId", 0, "eventsBySession"]
