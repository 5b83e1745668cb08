"""Argument values the database cannot take (a NUL character in text) are the caller's error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graphql_api.pagination import encode
from tests.graphql_api.conftest import Gql

NUL = "a\u0000b"


@pytest.mark.parametrize("query", [
    "query($v: String!) { session(id: $v) { sessionId } }",
    "query($v: String!) { session(id: $v) { events { id } } }",
    "query($v: String!) { events(filter: {category: $v}) { nodes { id } } }",
    "query($v: String!) { events(filter: {sessionId: $v}) { nodes { id } } }",
    "query($v: String!) { allEventsBySessionId(sessionId: $v) { sessionId } }",
    "query($v: String!) { allEventsByCategory(name: $v) { name } }",
    "query($v: String!) { errors(filter: {reason: $v}) { nodes { id } } }",
])
async def test_a_nul_character_is_bad_user_input(gql: Gql, query: str) -> None:
    body = await gql(query, {"v": NUL})
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
    assert "NUL" in error["message"]


async def test_a_nul_character_in_a_cursor_is_bad_user_input(gql: Gql) -> None:
    cursor = encode((datetime(2022, 1, 1, tzinfo=UTC), NUL))
    body = await gql("query($v: String!) { sessions(after: $v) { nodes { sessionId } } }",
                     {"v": cursor})
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
    assert "NUL" in error["message"]


async def test_a_nul_character_in_a_mutation_is_bad_user_input(admin_gql: Gql) -> None:
    body = await admin_gql("mutation($v: String!) { deleteSession(id: $v) { events } }",
                           {"v": NUL})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
