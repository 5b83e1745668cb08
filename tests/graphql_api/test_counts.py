"""eventCounts by hour or day and category/name, and topPages."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from tests.graphql_api.conftest import Ev, Gql, at, store_events

COUNTS = """query($from: DateTime!, $to: DateTime!, $bucket: Bucket!, $groupBy: [CountDimension!]) {
  eventCounts(from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) {
    bucket category name count } }"""


async def seed_counts(database: str) -> None:
    t = at("2022-01-01 00:00:00")
    await store_events(database, [
        Ev("a", t - timedelta(microseconds=1)),                     # before the range
        Ev("a", t),                                                  # day 1, hour 0
        Ev("a", t + timedelta(minutes=59), name="cta click"),        # day 1, hour 0
        Ev("b", t + timedelta(hours=1), "form interaction", "submit"),  # day 1, hour 1
        Ev("b", t + timedelta(days=1, hours=5)),                     # day 2, hour 5
        Ev("c", t + timedelta(days=2)),                              # at `to`: excluded
    ])


async def test_daily_counts(database: str, gql: Gql) -> None:
    await seed_counts(database)
    rows = (await gql(COUNTS, {"from": "2022-01-01T00:00:00Z", "to": "2022-01-03T00:00:00Z",
                               "bucket": "DAY"}))["data"]["eventCounts"]
    assert rows == [
        {"bucket": "2022-01-01T00:00:00+00:00", "category": None, "name": None, "count": 3},
        {"bucket": "2022-01-02T00:00:00+00:00", "category": None, "name": None, "count": 1}]


async def test_hourly_counts_by_category_and_name(database: str, gql: Gql) -> None:
    await seed_counts(database)
    rows = (await gql(COUNTS, {"from": "2022-01-01T00:00:00Z", "to": "2022-01-02T00:00:00Z",
                               "bucket": "HOUR", "groupBy": ["CATEGORY", "NAME"]})
            )["data"]["eventCounts"]
    assert [(r["bucket"][11:16], r["category"], r["name"], r["count"]) for r in rows] == [
        ("00:00", "page interaction", "cta click", 1),
        ("00:00", "page interaction", "pageview", 1),
        ("01:00", "form interaction", "submit", 1)]

    rows = (await gql(COUNTS, {"from": "2022-01-01T00:00:00Z", "to": "2022-01-03T00:00:00Z",
                               "bucket": "DAY", "groupBy": ["CATEGORY"]}))["data"]["eventCounts"]
    assert [(r["bucket"][:10], r["category"], r["name"], r["count"]) for r in rows] == [
        ("2022-01-01", "form interaction", None, 1), ("2022-01-01", "page interaction", None, 2),
        ("2022-01-02", "page interaction", None, 1)]


async def test_too_many_buckets_is_a_clear_error(database: str, gql: Gql) -> None:
    body = await gql(COUNTS, {"from": "2022-01-01T00:00:00Z", "to": "2022-03-01T00:00:00Z",
                              "bucket": "HOUR"})
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("the range spans 1417 hour buckets")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_top_pages(database: str, gql: Gql) -> None:
    t = at("2022-01-01 12:00:00")
    page = lambda host, path: {"host": host, "path": path}  # noqa: E731
    await store_events(database, [
        *[Ev(f"s{i}", t, data=page("h", "/pricing")) for i in range(3)],
        *[Ev(f"s{i}", t, data=page("h", "/")) for i in range(2)],
        Ev("s9", t, data=page("other", "/")),
        Ev("s9", t, name="cta click", data=page("h", "/docs")),      # not a page view
        Ev("s9", t + timedelta(days=1), data=page("h", "/docs")),     # outside the range
    ])
    query = """query($limit: Int) { topPages(from: "2022-01-01", to: "2022-01-02", limit: $limit) {
      host path views } }"""
    assert (await gql(query))["data"]["topPages"] == [
        {"host": "h", "path": "/pricing", "views": 3}, {"host": "h", "path": "/", "views": 2},
        {"host": "other", "path": "/", "views": 1}]
    assert (await gql(query, {"limit": 1}))["data"]["topPages"] == [
        {"host": "h", "path": "/pricing", "views": 3}]


# Events over five days across a month's end, at hour and day boundaries, a microsecond either
# side of them, and in between; the ranges below start and end on and off those boundaries.
EDGE_T0 = at("2022-01-30 00:00:00")
_US = timedelta(microseconds=1)


def edge_events() -> list[Ev]:
    kinds = [("page interaction", "pageview", {"host": "h", "path": "/a"}),
             ("page interaction", "pageview", {"host": "h", "path": "/b"}),
             ("page interaction", "pageview", {"path": "/nohost"}),
             ("page interaction", "cta click", {"host": "h", "path": "/a"}),
             ("form interaction", "submit", {})]
    times = []
    for h in range(0, 5 * 24, 3):
        boundary = EDGE_T0 + timedelta(hours=h)
        times += [boundary, boundary - _US, boundary + _US, boundary + timedelta(minutes=h % 60)]
    return [Ev(f"s{i % 7}", t, kinds[i % 5][0], kinds[i % 5][1], kinds[i % 5][2])
            for i, t in enumerate(times)]


EDGE_RANGES = [
    (EDGE_T0, EDGE_T0 + timedelta(days=5)),                                   # whole days
    (EDGE_T0 + timedelta(hours=5), EDGE_T0 + timedelta(days=2, hours=10)),    # whole hours
    (EDGE_T0 + _US, EDGE_T0 + timedelta(days=3) - _US),                       # just inside
    (EDGE_T0 - _US, EDGE_T0 + timedelta(days=3) + _US),                       # just outside
    (EDGE_T0 + timedelta(hours=4, minutes=59, seconds=59, microseconds=999999),
     EDGE_T0 + timedelta(days=4, hours=10, minutes=20)),                      # partial ends
    (EDGE_T0 + timedelta(hours=9, microseconds=1),
     EDGE_T0 + timedelta(hours=9, minutes=9, microseconds=1)),                # in one hour
    (EDGE_T0 + timedelta(hours=8, minutes=30), EDGE_T0 + timedelta(hours=12, minutes=30)),
    (EDGE_T0 + timedelta(hours=23, minutes=30), EDGE_T0 + timedelta(days=1, minutes=30)),
]


async def test_counts_on_and_off_hour_boundaries_equal_counting_events(
        database: str, gql: Gql) -> None:
    await store_events(database, edge_events())
    async with await psycopg.AsyncConnection.connect(database) as conn:
        for start, end in EDGE_RANGES:
            for bucket in ("HOUR", "DAY"):
                for group in ([], ["CATEGORY"], ["NAME"], ["CATEGORY", "NAME"]):
                    dims = "".join(f", {g.lower()}" for g in group)
                    cur = await conn.execute(
                        f"""SELECT date_trunc(%s, "timestamp", 'UTC'){dims}, count(*) FROM events
                        WHERE "timestamp" >= %s AND "timestamp" < %s
                        GROUP BY 1{dims} ORDER BY 1{dims}""", (bucket.lower(), start, end))
                    want = [(b, *rest) for b, *rest in await cur.fetchall()]
                    rows = (await gql(COUNTS, {"from": start.isoformat(), "to": end.isoformat(),
                                               "bucket": bucket, "groupBy": group})
                            )["data"]["eventCounts"]
                    got = [(datetime.fromisoformat(r["bucket"]),
                            *[r[g.lower()] for g in group], r["count"]) for r in rows]
                    assert got == want, (start, end, bucket, group)
                    assert want
            cur = await conn.execute(
                """SELECT data->>'host', data->>'path', count(*) FROM events
                WHERE category = 'page interaction' AND name = 'pageview'
                AND "timestamp" >= %s AND "timestamp" < %s
                GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""", (start, end))
            want = await cur.fetchall()
            pages = (await gql("""query($from: DateTime!, $to: DateTime!) {
                topPages(from: $from, to: $to, limit: 100) { host path views } }""",
                               {"from": start.isoformat(), "to": end.isoformat()})
                     )["data"]["topPages"]
            assert [(p["host"], p["path"], p["views"]) for p in pages] == want, (start, end)
