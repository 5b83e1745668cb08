"""Fixtures for the API tests: rows written straight into the test database, a client that
sends a bearer token, servers with other limits, and GraphiQL's files."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from eye.server import create_server
from store.partitions import ensure_months, month_of
from tests.fixtures.services import ROOT, installed

GRAPHIQL_DIR = ROOT / ".cache" / "graphiql"


@pytest.fixture(scope="session", autouse=True)
def graphiql_assets() -> None:
    """GraphiQL's files, installed by the script the build uses when they are missing."""
    installed("graphiql-assets.sh", GRAPHIQL_DIR)


def at(text: str) -> datetime:
    """A UTC instant from '2022-01-03 07:39:23.066994'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Ev:
    session_id: str
    timestamp: datetime
    category: str = "page interaction"
    name: str = "pageview"
    data: dict[str, Any] = field(default_factory=lambda: {"host": "www.example.com", "path": "/"})
    application_id: int | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


async def store_events(dsn: str, events: Iterable[Ev]) -> list[Ev]:
    events = list(events)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await ensure_months(conn, {month_of(e.timestamp) for e in events})
        async with conn.cursor() as cur:
            await cur.executemany(
                'INSERT INTO events (id, session_id, category, name, data, "timestamp", '
                "application_id, received_at, kafka_partition, kafka_offset) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, "
                "(SELECT coalesce(max(kafka_offset), -1) + 1 FROM events))",
                [(e.id, e.session_id, e.category, e.name, orjson.dumps(e.data).decode(),
                  e.timestamp, e.application_id, e.timestamp) for e in events])
    return events


async def store_session(dsn: str, events: list[Ev], application_id: int | None = None) -> None:
    """The sessions row the worker would write for `events` (one session)."""
    events = sorted(events, key=lambda e: e.timestamp)
    views = [e for e in events if e.name == "pageview"]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO sessions (session_id, application_id, first_seen, last_seen, "
            "duration_seconds, event_count, pageviews, entry_page, exit_page, bounce) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (events[0].session_id, application_id, events[0].timestamp, events[-1].timestamp,
             (events[-1].timestamp - events[0].timestamp).total_seconds(), len(events),
             len(views), views[0].data["path"] if views else None,
             views[-1].data["path"] if views else None, len(views) <= 1))


Gql = Callable[..., Awaitable[dict[str, Any]]]


GRAPHQL_RESPONSE = "application/graphql-response+json"


def client_gql(client: TestClient, token: str | None) -> Gql:
    """POST as current clients do, accepting application/graphql-response+json (request errors
    are 4xx there); the status is asserted."""
    async def gql(query: str, variables: dict[str, Any] | None = None, *,
                  status: int = 200, **body: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["Accept"] = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"
        resp = await client.post("/graphql", json={"query": query, "variables": variables,
                                                   **body}, headers=headers)
        answer: dict[str, Any] = await resp.json(content_type=GRAPHQL_RESPONSE)
        assert resp.status == status, answer
        return answer
    return gql


@pytest.fixture
def gql(api: TestClient, api_token: str) -> Gql:
    """POST a query with a read token; assert the status (200 unless told); the JSON answer."""
    return client_gql(api, api_token)


@pytest.fixture
def admin_gql(api: TestClient, admin_token: str) -> Gql:
    return client_gql(api, admin_token)


@pytest_asyncio.fixture
async def server_with() -> AsyncIterator[Callable[..., Awaitable[TestClient]]]:
    """Start another API server on the test's settings with some of them changed."""
    clients: list[TestClient] = []

    async def start(settings: Settings, **changes: Any) -> TestClient:
        client = TestClient(TestServer(create_server(settings.model_copy(update=changes))))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for c in clients:
        await c.close()
