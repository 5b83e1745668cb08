"""The app-key resolver against the real database: cached answers."""

from __future__ import annotations

import uuid

import psycopg

from store import applications
from streams.apps import AppResolver


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

