"""The app-key resolver against the real database: cached answers, waiting out a database that
cannot answer for now, and no connection left open behind it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from store import applications
from streams.app_resolver import AppResolver


def register(dsn: str) -> tuple[bytes, str]:
    name = f"app-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        return applications.add(conn, name).encode(), name


async def test_a_flood_of_unknown_keys_does_not_evict_the_known_ones(database: str) -> None:
    key, name = register(database)
    resolver = AppResolver(database, ttl=600, max_entries=10)
    app_id = await resolver.resolve(key)
    assert app_id is not None
    for i in range(100):
        assert await resolver.resolve(f"eye_bad-{i}".encode()) is None
    with psycopg.connect(database, autocommit=True) as conn:
        applications.revoke(conn, name)
    # Still answered from the cache (the database would now say None): the key stayed.
    assert await resolver.resolve(key) == app_id
    await resolver.close()


async def test_a_database_that_cannot_answer_for_now_is_waited_for_and_connections_closed(
        database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key, _name = register(database)
    opened: list[AsyncConnection] = []
    connect = AsyncConnection.connect

    async def recording(*args: Any, **kwargs: Any) -> AsyncConnection:
        conn = await connect(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(AsyncConnection, "connect", recording)
    db = database.rsplit("/", 1)[1]
    with psycopg.connect(database, autocommit=True) as admin:
        # Each lookup gives up after 100 ms on a locked table, with an OperationalError
        # (lock_not_available) that leaves its connection usable.
        admin.execute(f'ALTER DATABASE "{db}" SET lock_timeout = 100')
    resolver = AppResolver(database, ttl=600)
    with psycopg.connect(database) as locker:
        locker.execute("LOCK TABLE applications IN ACCESS EXCLUSIVE MODE")
        resolving = asyncio.create_task(resolver.resolve(key))
        await asyncio.sleep(1.5)
        assert not resolving.done()  # waiting, not judging the key unknown
    app_id = await asyncio.wait_for(resolving, timeout=15)
    assert app_id is not None
    assert len(opened) >= 2
    assert [c.closed for c in opened] == [True] * (len(opened) - 1) + [False]
    await resolver.close()
    assert opened[-1].closed
