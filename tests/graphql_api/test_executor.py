"""Long lists are completed in slices: the event loop runs other requests between them, and the
answer is the same."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest
from aiohttp.test_utils import TestClient
from graphql import build_schema, execute, parse

from graphql_api import executor
from graphql_api.executor import SLICE, SlicingExecutor
from store.partitions import ensure_months_sync, month_of
from tests.graphql_api.conftest import at

PAGE = """{ events(first: 1000) { nodes { id sessionId category name timestamp data } } }"""


async def test_a_large_answer_leaves_the_event_loop_to_others(
        database: str, api: TestClient, api_token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    start = at("2022-01-01 00:00:00")
    with psycopg.connect(database, autocommit=True) as conn:
        ensure_months_sync(conn, {month_of(start)})
        conn.execute("""INSERT INTO events (id, session_id, category, name, data, "timestamp",
                          received_at, kafka_partition, kafka_offset)
                        SELECT gen_random_uuid(), 's' || (i %% 100), 'page interaction',
                               'pageview', jsonb_build_object('path', '/' || (i %% 50)),
                               %s + i * interval '1 second', %s, 0, i
                        FROM generate_series(1, 1000) i""", (start, start))
    headers = {"Authorization": f"Bearer {api_token}"}
    await (await api.post("/graphql", json={"query": PAGE}, headers=headers)).read()

    async def longest_hold() -> float:
        """The longest the loop was kept while answering the page (best of three): the client,
        the server and a ticker share one loop, so the ticker's longest wait is it."""
        longest = []
        for _ in range(3):
            gaps: list[float] = []
            done = asyncio.Event()

            async def tick() -> None:
                last = time.perf_counter()
                while not done.is_set():
                    await asyncio.sleep(0)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            ticker = asyncio.create_task(tick())
            resp = await api.post("/graphql", json={"query": PAGE}, headers=headers)
            raw = await resp.read()
            done.set()
            await ticker
            assert resp.status == 200 and raw.count(b'"sessionId"') == 1000
            longest.append(max(gaps))
        return min(longest)

    sliced = await longest_hold()
    monkeypatch.setattr(executor, "SLICE", 1_000_000)
    whole = await longest_hold()
    # Completing the 1,000 events in one go holds the loop several times as long.
    assert sliced < whole / 2, (sliced, whole)


def test_sliced_lists_keep_their_items_and_paths() -> None:
    schema = build_schema("type Item { n: Int! twice: Int! } type Query { items: [Item!]! }")
    n = SLICE * 2 + 50

    def twice(item: dict[str, Any], _info: Any) -> int:
        if item["n"] == SLICE + 7:
            raise ValueError("no")
        return 2 * int(item["n"])

    schema.type_map["Item"].fields["twice"].resolve = twice  # type: ignore[attr-defined]

    async def run() -> Any:
        async def items(_root: Any, _info: Any) -> list[dict[str, int]]:
            return [{"n": i} for i in range(n)]
        schema.query_type.fields["items"].resolve = items  # type: ignore[union-attr]
        document = parse("{ items { n } }")
        plain = await execute(schema, document)  # type: ignore[misc]
        sliced = await execute(schema, document,  # type: ignore[misc]
                               executor_class=SlicingExecutor)
        failing = await execute(schema, parse("{ items { twice } }"),  # type: ignore[misc]
                                executor_class=SlicingExecutor)
        return plain, sliced, failing

    plain, sliced, failing = asyncio.run(run())
    assert sliced.data == plain.data == {"items": [{"n": i} for i in range(n)]}
    assert not sliced.errors
    [error] = failing.errors
    assert error.path == ["items", SLICE + 7, "twice"]
