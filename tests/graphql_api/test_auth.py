"""Bearer tokens: `eye tokens add|list|revoke`, 401 without a good one, admin-only mutations."""

from __future__ import annotations

import asyncio
import os
import subprocess

import psycopg
from aiohttp.test_utils import TestClient

from base.settings import Settings
from store import tokens
from store.db import POOL
from tests.fixtures.services import ROOT
from tests.fixtures.stack import settings_env
from tests.graphql_api.conftest import client_gql

QUERY = {"query": "{ eventTypes { name } }"}


async def test_no_token_is_401_with_a_clear_message(api: TestClient) -> None:
    resp = await api.post("/graphql", json=QUERY)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    [error] = (await resp.json())["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"].startswith("no Authorization header")
    assert "eye tokens add" in error["message"]

    resp = await api.get("/graphql", params={"query": "{ eventTypes { name } }"})
    assert resp.status == 401


async def test_a_bad_token_is_401(api: TestClient, api_token: str) -> None:
    for header, message in [(f"Basic {api_token}", "is not 'Bearer <token>'"),
                            ("Bearer", "is not 'Bearer <token>'"),
                            ("Bearer eyt_not-a-token", "unknown or revoked")]:
        resp = await api.post("/graphql", json=QUERY, headers={"Authorization": header})
        assert resp.status == 401, header
        assert message in (await resp.json())["errors"][0]["message"]


async def test_a_good_token_is_let_in_and_a_revoked_one_not(
        settings: Settings, api_token: str, database: str, server_with: object) -> None:
    # Without the token cache, a revoked token is refused at its next request.
    api: TestClient = await server_with(settings, api_token_cache_seconds=0)  # type: ignore[operator]
    headers = {"Authorization": f"bearer {api_token}"}  # the scheme is case-insensitive
    resp = await api.post("/graphql", json=QUERY, headers=headers)
    assert resp.status == 200 and (await resp.json())["data"]["eventTypes"]

    with psycopg.connect(database, autocommit=True) as conn:
        [name] = [t.name for t in tokens.list_all(conn)]
        tokens.revoke(conn, name)
    resp = await api.post("/graphql", json=QUERY, headers=headers)
    assert resp.status == 401
    assert "unknown or revoked" in (await resp.json())["errors"][0]["message"]


async def test_healthz_needs_no_token(api: TestClient) -> None:
    resp = await api.get("/healthz")
    assert resp.status == 200


def eye(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "eye"), *args], capture_output=True,
                          text=True, env={**os.environ, **settings_env(settings)}, cwd=ROOT)


async def test_the_tokens_command(settings: Settings, server_with: object) -> None:
    api: TestClient = await server_with(settings, api_token_cache_seconds=0)  # type: ignore[operator]
    added = eye(settings, "tokens", "add", "analyst")
    assert added.returncode == 0, added.stderr
    token = added.stdout.splitlines()[-1]
    assert token.startswith("eyt_") and len(token) > 40
    assert eye(settings, "tokens", "add", "ops", "--admin").returncode == 0

    # stored hashed: the token itself is nowhere in the table
    with psycopg.connect(settings.dsn) as conn:
        rows = conn.execute("SELECT name, token_hash, admin FROM api_tokens ORDER BY id").fetchall()
    assert [(n, a) for n, _, a in rows] == [("analyst", False), ("ops", True)]
    assert rows[0][1] == tokens.token_hash(token) and token.encode() not in rows[0][1]

    resp = await api.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200

    again = eye(settings, "tokens", "add", "analyst")
    assert again.returncode == 1 and "exists already" in again.stderr

    listed = eye(settings, "tokens", "list").stdout
    assert "analyst" in listed and "read" in listed and "admin" in listed and token not in listed

    revoked = eye(settings, "tokens", "revoke", "analyst")
    assert revoked.returncode == 0 and "the API refuses it within 5 s" in revoked.stdout
    assert "revoked" in eye(settings, "tokens", "list").stdout.splitlines()[0]
    resp = await api.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 401

    missing = eye(settings, "tokens", "revoke", "analyst")
    assert missing.returncode == 1 and "no active token" in missing.stderr


async def test_a_token_checked_lately_needs_no_database_connection(
        settings: Settings, api_token: str, server_with: object) -> None:
    # Each request's token check took a pool connection: with the pool held by other requests'
    # statements, even an answer that needs no database waited for one.
    client: TestClient = await server_with(settings, api_pool_size=1)  # type: ignore[operator]
    ask = client_gql(client, api_token)
    assert await ask("{ __typename }") == {"data": {"__typename": "Query"}}
    async with client.server.app[POOL].connection():  # the only one, held
        body = await asyncio.wait_for(ask("{ __typename }"), 2)
    assert body == {"data": {"__typename": "Query"}}


async def test_a_revoked_token_is_refused_once_its_check_is_older_than_the_cache_s_time(
        settings: Settings, api_token: str, database: str, server_with: object) -> None:
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_token_cache_seconds=0.5)
    headers = {"Authorization": f"Bearer {api_token}"}
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status == 200
    with psycopg.connect(database, autocommit=True) as conn:
        [name] = [t.name for t in tokens.list_all(conn)]
        tokens.revoke(conn, name)
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status == 200
    await asyncio.sleep(0.6)
    resp = await client.post("/graphql", json=QUERY, headers=headers)
    assert resp.status == 401
    assert "unknown or revoked" in (await resp.json())["errors"][0]["message"]


async def test_unknown_tokens_are_not_remembered(
        settings: Settings, database: str, server_with: object) -> None:
    # A token created after a client tried it is let in at once: only good answers are kept.
    client: TestClient = await server_with(settings)  # type: ignore[operator]
    with psycopg.connect(database, autocommit=True) as conn:
        token = tokens.add(conn, "later")
        conn.execute("DELETE FROM api_tokens WHERE name = 'later'")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status == 401
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("INSERT INTO api_tokens (name, token_hash) VALUES ('later', %s)",
                     (tokens.token_hash(token),))
    assert (await client.post("/graphql", json=QUERY, headers=headers)).status == 200


async def test_a_token_check_is_not_bound_by_the_query_timeout(
        settings: Settings, api_token: str, database: str, server_with: object) -> None:
    # The pool's connections carry the data team's statement timeout; with it at 1 ms, a token
    # check that waited a moment was cancelled and the request answered a plain-text 500.
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_statement_timeout_ms=1, api_token_cache_seconds=0)
    ask = client_gql(client, api_token)
    with psycopg.connect(database) as conn:
        conn.execute("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE")
        asked = asyncio.ensure_future(ask("{ __typename }"))
        await asyncio.sleep(0.2)  # the check waits for the lock, 200 times the timeout
        conn.rollback()
    assert await asked == {"data": {"__typename": "Query"}}


async def test_a_token_check_the_database_cannot_answer_is_a_503(
        settings: Settings, api_token: str, database: str, server_with: object) -> None:
    client: TestClient = await server_with(  # type: ignore[operator]
        settings, api_pool_size=1, api_token_cache_seconds=0)
    ask = client_gql(client, api_token)
    assert await ask("{ __typename }") == {"data": {"__typename": "Query"}}
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                     "AND backend_type = 'client backend'")
    body = await ask("{ __typename }", status=503)
    assert body == {"errors": [{"message": "cannot check the token now: the database does not "
                                           "answer; retry shortly",
                                "extensions": {"code": "UNAVAILABLE"}}]}
    # the pool has let the dead connection go
    assert await ask("{ __typename }") == {"data": {"__typename": "Query"}}
