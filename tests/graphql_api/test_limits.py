"""Every bound answers with a clear error: tokens, depth, cost, body size, statement timeout."""

from __future__ import annotations


import psycopg
from aiohttp.test_utils import TestClient

from base.settings import Settings
from store.partitions import ensure_months_sync, month_of
from tests.graphql_api.conftest import Gql, at, client_gql

DEEP = """{ allEventsBySessionId(sessionId: "s") { eventsBySession { sessionId {
  eventsBySession { sessionId { sessionId } } } } } }"""


async def test_too_many_tokens(gql: Gql) -> None:
    query = "{ eventTypes { " + "name " * 2000 + "} }"
    body = await gql(query, status=400)
    assert body["errors"] == [{"message": "the query has more than 2000 tokens, the most this "
                                          "server parses",
                               "extensions": {"code": "MAX_TOKENS_EXCEEDED", "limit": 2000}}]


async def test_too_deep(settings: Settings, api_token: str, server_with: object) -> None:
    client: TestClient = await server_with(settings, api_max_depth=5)  # type: ignore[operator]
    gql = client_gql(client, api_token)
    body = await gql(DEEP, status=400)
    [error] = body["errors"]
    assert error["message"] == "the query nests fields 6 deep; the limit is 5"
    assert error["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "depth": 6, "limit": 5}
    # fragments count at the depth where they are spread
    body = await gql("{ allEventsBySessionId(sessionId: \"s\") { ...S } } "
                     "fragment S on SessionType { eventsBySession { sessionId { "
                     "eventsBySession { sessionId { sessionId } } } } }", status=400)
    assert body["errors"][0]["extensions"]["depth"] == 6
    # introspection fields count like others
    body = await gql("{ __schema { types { fields { type { ofType { name } } } } } }", status=400)
    assert body["errors"][0]["extensions"]["depth"] == 6
    assert (await gql("{ __schema { types { fields { type { name } } } } }"))["data"]["__schema"]


async def test_too_costly(gql: Gql) -> None:
    ok = await gql("{ sessions(first: 10) { nodes { events { id } } } }")
    assert "errors" not in ok
    body = await gql("query($n: Int) { sessions(first: $n) { nodes { events { id } } } }",
                     {"n": 100}, status=400)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 100101, "limit": 20000}
    assert error["message"].startswith("the query may produce 100101 objects")
    # lists nested through the seed's back-references multiply too
    body = await gql("""{ allEventsByCategory(name: "x") { eventsByCategory { category {
                       eventsByCategory { id } } } } }""", status=400)
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


async def test_too_large_a_body(api: TestClient, api_token: str) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    resp = await api.post("/graphql", json={"query": "{ eventTypes { name } }",
                                            "variables": {"pad": "x" * 70000}}, headers=headers)
    assert resp.status == 413
    assert (await resp.json())["errors"] == [{
        "message": "the request body is larger than 65536 bytes",
        "extensions": {"code": "BODY_TOO_LARGE", "limit": 65536}}]

    async def chunked() -> object:  # no Content-Length: counted while read
        for _ in range(70):
            yield b" " * 1000
    resp = await api.post("/graphql", data=chunked(),
                          headers={**headers, "Content-Type": "application/json"})
    assert resp.status == 413


async def test_the_statement_timeout(database: str, settings: Settings, api_token: str,
                                     server_with: object) -> None:
    start = at("2022-01-01 00:00:00")
    with psycopg.connect(database, autocommit=True) as conn:
        ensure_months_sync(conn, {month_of(start)})
        conn.execute("""INSERT INTO events (id, session_id, category, name, data, "timestamp",
                          received_at, kafka_partition, kafka_offset)
                        SELECT gen_random_uuid(), 's' || (i %% 1000), 'page interaction',
                               'pageview', '{"path": "/"}',
                               %s + i * interval '30 milliseconds', %s, 0, i
                        FROM generate_series(1, 100000) i""", (start, start))
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_statement_timeout_ms=1)
    # Not whole hours: the rollups cannot answer, 100,000 events are counted.
    body = await client_gql(client, api_token)(
        """{ eventCounts(from: "2022-01-01T00:00:01Z", to: "2022-01-01T00:59:00Z", bucket: HOUR,
                         groupBy: [CATEGORY, NAME]) { count } }""")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == ("the query was stopped by the statement timeout of 1 ms; narrow "
                                "the filter or the time range")
    assert error["extensions"] == {"code": "STATEMENT_TIMEOUT", "timeoutMs": 1}
    assert error["path"] == ["eventCounts"]


async def test_too_many_statements(gql: Gql) -> None:
    # Each session costs one statement, its events one more: 11 sessions are 22.
    query = "{ " + " ".join(f's{i}: session(id: "s{i}") {{ events {{ id }} }}'
                            for i in range(11)) + " }"
    body = await gql(query, status=400)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "MAX_STATEMENTS_EXCEEDED", "statements": 22,
                                   "limit": 20}
    assert "data" not in body
    # a page of sessions with their events: one statement for the page, one per session
    body = await gql("{ sessions(first: 25) { nodes { sessionId } } }")
    assert body == {"data": {"sessions": {"nodes": []}}}
    body = await gql("{ sessions(first: 19) { nodes { events { id } } } errorCounts { reason } }",
                     status=400)
    assert body["errors"][0]["extensions"]["statements"] == 21


async def test_aliases_of_a_database_field_are_bounded(gql: Gql) -> None:
    # 100 of these passed the cost bound and held all 8 connections for 6.8 s.
    query = ("query($f: DateTime!, $t: DateTime!) { "
             + " ".join(f"p{i}: topPages(from: $f, to: $t, limit: 1) {{ views }}"
                        for i in range(100)) + " }")
    body = await gql(query, {"f": "2022-01-01", "t": "2022-02-01"}, status=400)
    assert body["errors"][0]["extensions"] == {"code": "MAX_ALIASES_EXCEEDED", "aliases": 100,
                                               "limit": 20}


def test_light_and_heavy_requests() -> None:
    from graphql import get_operation_ast

    from graphql_api.limits import Limits, is_light, measure
    from graphql_api.schema import load_schema

    schema = load_schema()
    bounds = Limits(max_tokens=2000, max_depth=15, max_cost=20000, page_default=100,
                    page_max=1000, list_max=1000)

    def light(query: str) -> bool:
        from graphql import parse

        document = parse(query)
        operation = get_operation_ast(document)
        assert operation is not None
        return is_light(measure(schema, document, operation, {}, bounds), bounds)

    assert light('{ session(id: "s") { sessionId events { name timestamp data } } }')
    assert light('{ events(filter: {category: "c"}, first: 20) { nodes { id } } }')
    assert light("{ events(first: 1000) { nodes { id } pageInfo { endCursor } } }")
    # Counts of events read the rollups; counts of rejected messages read every one of them.
    assert light('{ topPages(from: "2024-01-01", to: "2025-01-01", limit: 10) { views } }')
    assert light('{ eventCounts(from: "2024-01-01", to: "2025-01-01", bucket: DAY) { count } }')
    assert not light("{ errorCounts { reason count } }")
    assert not light(" ".join(["{", *(f'p{i}: topPages(from: "2024-01-01", to: "2024-02-01") '
                                      "{ views }" for i in range(3)), "}"]))
    # A page of errors is light, unless it looks for a session in the payloads (a scan).
    assert light('{ errors(filter: {reason: "x"}, first: 100) { nodes { id } } }')
    assert not light('{ errors(filter: {sessionId: "s"}, first: 10) { nodes { id } } }')
    # More statements, or more objects, than a session and its events.
    assert not light('{ a: session(id: "a") { sessionId } b: session(id: "b") { sessionId } '
                     'c: session(id: "c") { sessionId } }')
    assert not light("{ events(first: 1000) { edges { node { id } } nodes { id } } }")
    assert not light("{ sessions(first: 10) { nodes { events { id } } } }")
