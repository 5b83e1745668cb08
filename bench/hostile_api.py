"""The GraphQL API under hostile clients: how fast each hostile request is answered or refused,
and how long another token's request waits meanwhile.

usage: python -m bench.hostile_api [ADMIN_DSN]   (default: the test server's, port 15432)
Makes a database beside ADMIN_DSN with 100,000 page views, serves the API on a free port and
prints one line per case; drops the database after. Not part of `make bench`: it measures
refusals, not throughput.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from graphql import get_introspection_query

from base.settings import Settings
from eye.server import create_server
from store import databases, tokens
from store.partitions import ensure_months_sync, month_of

ALIASED = """{ __schema { a: types { ...T } b: types { ...T } c: types { ...T } } }
fragment T on __Type { a: fields { ...F } b: fields { ...F } c: fields { ...F } }
fragment F on __Field { a: type { ...O } b: type { ...O } c: type { ...O } }
fragment O on __Type { a: ofType { ...L } b: ofType { ...L } c: ofType { ...L } }
fragment L on __Type { a: fields { name } b: fields { name } c: fields { name } }"""
WINDOW = {"f": "2022-01-01", "t": "2022-02-01"}
GRAPHQL_RESPONSE = "application/graphql-response+json"


def top_pages(n: int) -> str:
    return ("query($f: DateTime!, $t: DateTime!) { " + " ".join(
        f"p{i}: topPages(from: $f, to: $t, limit: 1) {{ views }}" for i in range(n)) + " }")


def _fill(dsn: str) -> tuple[str, str]:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_months_sync(conn, {month_of(start)})
        conn.execute("""INSERT INTO events (id, session_id, category, name, data, "timestamp",
                          received_at, kafka_partition, kafka_offset)
                        SELECT gen_random_uuid(), 's' || (i %% 1000), 'page interaction',
                               'pageview', jsonb_build_object('host', 'h', 'path', '/' || (i %% 50)),
                               %s + i * interval '1 second', %s, 0, i
                        FROM generate_series(1, 100000) i""", (start, start))
        conn.execute("ANALYZE events")
        return tokens.add(conn, "hostile"), tokens.add(conn, "bystander")


async def _run(dsn: str) -> None:
    hostile, bystander = _fill(dsn)
    # No broker: the collector's producer is made, never used (it logs that it cannot connect).
    server = TestServer(create_server(Settings(database_url=dsn, kafka_bootstrap="127.0.0.1:1")))
    await server.start_server()
    url = str(server.make_url("/graphql"))
    async with ClientSession() as session:
        async def ask(token: str, query: str, variables: Any = None, wait: float = 0
                      ) -> tuple[int, int, float]:
            await asyncio.sleep(wait)
            started = time.monotonic()
            async with session.post(url, json={"query": query, "variables": variables},
                                    headers={"Authorization": f"Bearer {token}",
                                             "Accept": GRAPHQL_RESPONSE}) as resp:
                size = len(await resp.read())
            return resp.status, size, time.monotonic() - started

        def line(case: str, answer: tuple[int, int, float], other: tuple[int, int, float]
                 ) -> None:
            print(f"{case}: {answer[0]}, {answer[1]:,} bytes, {answer[2] * 1000:.0f} ms; "
                  f"the bystander's request meanwhile {other[2] * 1000:.0f} ms")

        # open the pool's connections before timing anything
        await asyncio.gather(*(ask(bystander, '{ session(id: "s1") { sessionId } }')
                               for _ in range(8)))
        bystanding = '{ session(id: "s1") { sessionId } }'
        standard = get_introspection_query(True, True, True, True, True)
        for case, query, variables in [
                ("standard introspection query", standard, None),
                ("the same again (kept)", standard, None),
                ("three aliases per level of introspection", ALIASED, None),
                ("100 aliases of topPages", top_pages(100), WINDOW),
                ("20 aliases of topPages", top_pages(20), WINDOW)]:
            a, b = await asyncio.gather(ask(hostile, query, variables),
                                        ask(bystander, bystanding, wait=0.01))
            line(case, a, b)
        started = time.monotonic()
        *_, b = await asyncio.gather(*(ask(hostile, top_pages(20), WINDOW) for _ in range(5)),
                                     ask(bystander, bystanding, wait=0.3))
        print(f"5 concurrent requests of 20 topPages: {time.monotonic() - started:.2f} s; the "
              f"bystander's request meanwhile {b[2] * 1000:.0f} ms")
    await server.close()


def main() -> None:
    admin = sys.argv[1] if len(sys.argv) > 1 else "postgresql://eye:eye@127.0.0.1:15432/eye"
    dsn = databases.create(admin, "eye_hostile")
    try:
        asyncio.run(_run(dsn))
    finally:
        databases.drop(admin, dsn)


if __name__ == "__main__":
    main()
