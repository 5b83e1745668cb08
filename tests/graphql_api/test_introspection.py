"""Introspection is bounded like any query (depth, aliases, objects) and never holds up others."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient
from graphql import get_introspection_query

from base.settings import Settings
from tests.graphql_api.conftest import Gql, client_gql

# Three aliases per level over __schema → types → fields → type → ofType → fields: before the
# bound, a 2.98 MB answer after 3.4 s, with every other request waiting.
ALIASED = """{ __schema { a: types { ...T } b: types { ...T } c: types { ...T } } }
fragment T on __Type { a: fields { ...F } b: fields { ...F } c: fields { ...F } }
fragment F on __Field { a: type { ...O } b: type { ...O } c: type { ...O } }
fragment O on __Type { a: ofType { ...L } b: ofType { ...L } c: ofType { ...L } }
fragment L on __Type { a: fields { name } b: fields { name } c: fields { name } }"""

# No alias, but each level re-enters the schema's types.
REENTRANT = ("{ __schema { types { fields { type { ofType { fields { type { ofType { name } } } } "
             "} } } } }")


async def test_the_standard_introspection_query_works(gql: Gql) -> None:
    for query in (get_introspection_query(), get_introspection_query(True, True, True, True, True)):
        body = await gql(query)
        assert "errors" not in body
        types = {t["name"] for t in body["data"]["__schema"]["types"]}
        assert {"Query", "Event", "Session", "__Schema"} <= types


async def test_aliases_over_introspection_are_refused_at_once(gql: Gql) -> None:
    started = time.monotonic()
    body = await gql(ALIASED, status=400)
    assert time.monotonic() - started < 1.0
    [error] = body["errors"]
    assert error["extensions"] == {"code": "MAX_ALIASES_EXCEEDED", "aliases": 363, "limit": 20}
    assert "data" not in body


def objects(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(objects(v) for v in value)
    return 0


async def test_introspection_costs_the_objects_it_answers(settings: Settings, api_token: str,
                                                          server_with: object) -> None:
    body = await client_gql(await server_with(settings), api_token)(REENTRANT)  # type: ignore[operator]
    answered = objects(body["data"]) - 1  # not `data` itself
    exact: TestClient = await server_with(  # type: ignore[operator]
        settings, api_max_introspection_objects=answered)
    assert (await client_gql(exact, api_token)(REENTRANT))["data"] == body["data"]
    less: TestClient = await server_with(  # type: ignore[operator]
        settings, api_max_introspection_objects=answered - 1)
    body = await client_gql(less, api_token)(REENTRANT, status=400)
    assert body["errors"][0]["extensions"] == {"code": "MAX_INTROSPECTION_EXCEEDED",
                                               "limit": answered - 1}


async def test_aliases_of_the_whole_introspection_are_bounded(gql: Gql) -> None:
    # Aliases within their bound still add up their answers: the standard query (617 objects)
    # with three aliases of type names fits, with three of all it says of the types (~600
    # each) it does not.
    query = get_introspection_query()
    four = query.replace("__schema {", "a: __schema { types { name } } b: __schema { types "
                         "{ name } } c: __schema {", 1)
    assert "errors" not in await gql(four)
    body = await gql(query.replace("__schema {", " ".join(f"s{i}: __schema {{ ...Everything }}"
                                                          for i in range(3)) + " __schema {", 1)
                     + " fragment Everything on __Schema { types { ...FullType } }", status=400)
    assert body["errors"][0]["extensions"] == {"code": "MAX_INTROSPECTION_EXCEEDED",
                                               "limit": 2000}


async def test_introspection_counts_in_depth_and_cost(settings: Settings, api_token: str,
                                                      server_with: object) -> None:
    shallow: TestClient = await server_with(settings, api_max_depth=10)  # type: ignore[operator]
    body = await client_gql(shallow, api_token)(get_introspection_query(), status=400)
    assert body["errors"][0]["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "depth": 15,
                                               "limit": 10}
    cheap: TestClient = await server_with(settings, api_max_cost=300)  # type: ignore[operator]
    body = await client_gql(cheap, api_token)(get_introspection_query(), status=400)
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    # __type of one type is small
    body = await client_gql(cheap, api_token)('{ __type(name: "Event") { fields { name } } }')
    assert len(body["data"]["__type"]["fields"]) == 8


async def test_introspection_does_not_hold_up_other_requests(gql: Gql) -> None:
    async def timed(query: str, status: int = 200) -> float:
        started = time.monotonic()
        await gql(query, status=status)
        return time.monotonic() - started

    hostile = [timed(ALIASED, 400), timed(REENTRANT),
               *(timed(get_introspection_query()) for _ in range(5))]
    waits = await asyncio.gather(timed("{ eventTypes { name } }"), *hostile)
    assert waits[0] < 1.0, waits
