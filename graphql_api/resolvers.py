"""Resolvers: translate GraphQL fields into calls to store.queries, and rows into fields."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from store import queries


def _pool(info: GraphQLResolveInfo) -> Any:
    return info.context["pool"]


async def resolve_session(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    return await queries.session(_pool(info), id)


async def resolve_session_events(session: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return await queries.session_events(_pool(info), session["session_id"])


def _column(name: str) -> Any:
    def resolve(row: dict[str, Any], _info: GraphQLResolveInfo) -> Any:
        return row[name]
    return resolve


_EVENT = {f: _column(c) for f, c in [("sessionId", "session_id"), ("receivedAt", "received_at")]}
_SESSION = {f: _column(c) for f, c in [
    ("sessionId", "session_id"), ("firstSeen", "first_seen"), ("lastSeen", "last_seen"),
    ("eventCount", "event_count"), ("entryPage", "entry_page"), ("exitPage", "exit_page")]}

RESOLVERS: dict[str, dict[str, Any]] = {
    "Query": {"session": resolve_session},
    "Session": {**_SESSION, "events": resolve_session_events},
    "Event": _EVENT,
}
