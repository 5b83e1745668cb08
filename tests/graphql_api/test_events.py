"""events(filter, first, after): filters, keyset pages in (timestamp, id) order, cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.graphql_api.conftest import Ev, Gql, at, store_events

PAGE = """query($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id sessionId category name data timestamp receivedAt applicationId } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def all_pages(gql: Gql, size: int, filter: dict[str, object] | None = None
                    ) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        conn = (await gql(PAGE, {"filter": filter, "first": size, "after": after}))["data"]["events"]
        pages.append([e["node"]["id"] for e in conn["edges"]])
        assert [n["id"] for n in conn["nodes"]] == pages[-1]
        assert conn["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not conn["pageInfo"]["hasNextPage"]:
            return pages
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        after = conn["pageInfo"]["endCursor"]


async def test_pages_over_equal_timestamps_have_no_duplicate_and_no_gap(
        database: str, gql: Gql) -> None:
    # 23 events on 4 instants, several of them straddling page boundaries of 5; the ids are
    # random, so the order inside one instant is the id order.
    t0 = at("2022-01-31 23:59:59.999999")  # the month boundary is crossed too
    stamps = [t0] * 7 + [t0 + timedelta(microseconds=1)] * 9 + [t0 + timedelta(hours=1)] * 6 \
        + [t0 + timedelta(days=40)]
    events = await store_events(database, [Ev(f"s{i % 3}", t) for i, t in enumerate(stamps)])
    expected = [str(e.id) for e in sorted(events, key=lambda e: (e.timestamp, str(e.id)))]

    pages = await all_pages(gql, 5)

    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [i for p in pages for i in p] == expected


async def test_a_last_page_that_is_full_says_there_is_no_next(database: str, gql: Gql) -> None:
    await store_events(database, [Ev("s", at("2022-01-01 00:00:00"))] * 0 +
                       [Ev("s", at("2022-01-01 00:00:00")) for _ in range(4)])
    pages = await all_pages(gql, 2)
    assert [len(p) for p in pages] == [2, 2]


async def test_filters_combine(database: str, gql: Gql) -> None:
    t = at("2022-01-03 07:39:23.066994")
    await store_events(database, [
        Ev("a", t, application_id=1),
        Ev("a", t + timedelta(seconds=1), "page interaction", "cta click", {"element": "x"}, 1),
        Ev("b", t + timedelta(seconds=2), "form interaction", "submit", {"form": {}}, 2),
        Ev("a", t + timedelta(days=1), application_id=1),
    ])

    async def ids(filter: dict[str, object]) -> list[tuple[str, str]]:
        conn = (await gql(PAGE, {"filter": filter}))["data"]["events"]
        return [(e["node"]["sessionId"], e["node"]["name"]) for e in conn["edges"]]

    assert await ids({"sessionId": "a"}) == [("a", "pageview"), ("a", "cta click"),
                                             ("a", "pageview")]
    assert await ids({"category": "page interaction", "name": "cta click"}) == \
        [("a", "cta click")]
    assert await ids({"category": "form interaction"}) == [("b", "submit")]
    assert await ids({"applicationId": "2"}) == [("b", "submit")]
    # from is inclusive, to exclusive
    assert await ids({"from": t.isoformat(), "to": (t + timedelta(seconds=2)).isoformat()}) == \
        [("a", "pageview"), ("a", "cta click")]
    assert await ids({"sessionId": "a", "from": "2022-01-04 00:00:00"}) == [("a", "pageview")]


async def test_an_event_has_its_fields(database: str, gql: Gql) -> None:
    [e] = await store_events(database, [Ev("sess-1", at("2022-01-03 07:39:23.066994"),
                                           data={"host": "h", "path": "/p", "n": [1, 2]},
                                           application_id=7)])
    node = (await gql(PAGE))["data"]["events"]["edges"][0]["node"]
    assert node == {"id": str(e.id), "sessionId": "sess-1", "category": "page interaction",
                    "name": "pageview", "data": {"host": "h", "path": "/p", "n": [1, 2]},
                    "timestamp": "2022-01-03T07:39:23.066994+00:00",
                    "receivedAt": "2022-01-03T07:39:23.066994+00:00", "applicationId": "7"}


async def test_an_empty_result_is_an_empty_page(database: str, gql: Gql) -> None:
    conn = (await gql(PAGE, {"filter": {"sessionId": "nobody"}}))["data"]["events"]
    assert conn == {"edges": [], "nodes": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}}


async def test_first_defaults_and_is_capped(database: str, gql: Gql) -> None:
    await store_events(database, [Ev("s", at("2022-01-01 00:00:00") + timedelta(seconds=i))
                                  for i in range(105)])
    conn = (await gql(PAGE))["data"]["events"]
    assert len(conn["edges"]) == 100 and conn["pageInfo"]["hasNextPage"]

    body = await gql(PAGE, {"first": 1001})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "`first` must be between 0 and 1000, got 1001"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

    body = await gql(PAGE, {"first": -1})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("cursor", ["nonsense", "WyJ4IiwgMV0", ""])
async def test_a_cursor_not_given_out_is_refused(database: str, gql: Gql, cursor: str) -> None:
    body = await gql(PAGE, {"after": cursor})
    assert body["errors"][0]["message"].startswith("`after` is not a cursor this API gave out")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_to_before_from_is_refused(database: str, gql: Gql) -> None:
    body = await gql(PAGE, {"filter": {"from": "2022-01-02T00:00:00Z", "to": "2022-01-01T00:00:00Z"}})
    assert "is before `from`" in body["errors"][0]["message"]


async def test_a_bad_datetime_is_a_clear_error(database: str, gql: Gql) -> None:
    # a variable that does not coerce is a request error: 400, and no data
    body = await gql(PAGE, {"filter": {"from": "yesterday"}}, status=400)
    assert "DateTime must be ISO 8601" in body["errors"][0]["message"]
    assert "data" not in body
