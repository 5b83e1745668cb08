"""One token cannot take the whole pool: its statements hold at most api_token_concurrency
connections, so another token's request is answered while it waits."""

from __future__ import annotations

import asyncio
import time

import psycopg
from aiohttp.test_utils import TestClient

from base.settings import Settings
from store.db import POOL
from tests.fixtures.stack import _token
from tests.graphql_api.conftest import at, client_gql

# Twenty statements that each count every rejected message (there is no rollup of errors).
COUNTS = "{ " + " ".join(f"c{i}: errorCounts {{ count }}" for i in range(20)) + " }"


def _fill(database: str, n: int) -> None:
    """`n` rejected messages."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("""INSERT INTO errors (reason, detail, payload, topic, "partition", "offset",
                                            received_at)
                        SELECT (ARRAY['malformed_json', 'missing_field'])[1 + i %% 2], 'd',
                               convert_to('{"session_id": "s' || i || '"}', 'UTF8'), 't', 0, i,
                               %s + i * interval '1 second'
                        FROM generate_series(1, %s) i""", (at("2022-01-01 00:00:00"), n))
        conn.execute("ANALYZE errors")


async def test_a_token_s_burst_does_not_hold_up_another_token(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    _fill(database, 100_000)
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_pool_size=2, api_token_concurrency=1)
    burst = client_gql(client, api_token)
    other = client_gql(client, _token(database, admin=False))

    started = time.monotonic()
    flood = asyncio.gather(*(burst(COUNTS) for _ in range(8)))
    await asyncio.sleep(0.2)  # the burst's statements are queued by now
    asked = time.monotonic()
    body = await other('{ session(id: "s1") { sessionId } }')
    waited = time.monotonic() - asked
    answers = await flood
    burst_took = time.monotonic() - started
    assert body == {"data": {"session": None}}
    assert all("errors" not in a for a in answers)
    # 160 statements of the burst took turns on one connection; the other token's two (its
    # token check and its query) did not wait for them. Waiting behind them would take about
    # all of burst_took (the pool's queue is first come, first served).
    assert waited < burst_took / 4, (waited, burst_took)


async def test_heavy_requests_leave_light_ones_a_connection(
        database: str, settings: Settings, server_with: object) -> None:
    # Three tokens of aggregates (errorCounts) may hold 12 statements at once, more than the pool:
    # without a lane of their own they took every connection and a light request of a fourth
    # token waited in the pool's queue behind theirs, for its token check and for its query.
    _fill(database, 100_000)
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_pool_size=3, api_heavy_concurrency=2, api_token_concurrency=4)
    heavy = [client_gql(client, _token(database, admin=False)) for _ in range(3)]
    light = client_gql(client, _token(database, admin=False))
    assert await light('{ session(id: "s1") { sessionId } }') == {"data": {"session": None}}

    started = time.monotonic()
    flood = asyncio.gather(*(ask(COUNTS) for ask in heavy for _ in range(2)))
    await asyncio.sleep(0.3)  # the heavy statements hold the connections and queue by now
    asked = time.monotonic()
    body = await light('{ session(id: "s1") { sessionId } }')
    waited = time.monotonic() - asked
    answers = await flood
    flood_took = time.monotonic() - started
    assert body == {"data": {"session": None}}
    assert all("errors" not in a for a in answers)
    # 120 statements over two connections; the light request's two (its token check and its
    # query) took the third. Waiting behind them would take about all of flood_took.
    assert waited < flood_took / 5, (waited, flood_took)


async def test_api_statements_run_without_parallel_workers(api: TestClient) -> None:
    # By default PostgreSQL gives an aggregate over a large range two more processes: under
    # many clients, one request would take every core.
    async with api.server.app[POOL].connection() as conn:
        cur = await conn.execute("SELECT current_setting('max_parallel_workers_per_gather')")
        assert await cur.fetchone() == ("0",)


async def test_a_token_s_light_request_does_not_wait_for_its_own_queued_aggregates(
        database: str, settings: Settings, api_token: str, server_with: object) -> None:
    # A dashboard's token asks for aggregates and sessions at once. Its aggregates queued for
    # the heavy lane while holding the places of the token's gate, so its session waited for
    # all of them.
    _fill(database, 100_000)
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_pool_size=4, api_heavy_concurrency=1, api_token_concurrency=2)
    ask = client_gql(client, api_token)
    assert await ask('{ session(id: "s1") { sessionId } }') == {"data": {"session": None}}

    started = time.monotonic()
    flood = asyncio.gather(*(ask(COUNTS) for _ in range(3)))
    await asyncio.sleep(0.3)
    asked = time.monotonic()
    body = await ask('{ session(id: "s1") { sessionId } }')
    waited = time.monotonic() - asked
    answers = await flood
    flood_took = time.monotonic() - started
    assert body == {"data": {"session": None}}
    assert all("errors" not in a for a in answers)
    assert waited < flood_took / 5, (waited, flood_took)
