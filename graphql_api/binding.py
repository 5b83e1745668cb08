"""Which resolver answers which field of the schema, by type and field name; a field not named
here is read from the row's key of the same name."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from graphql_api import resolvers as q
from graphql_api import seed
from graphql_api.mutations import resolve_delete_session

Resolver = Callable[..., Any]


def _column(name: str, convert: Callable[[Any], Any] | None = None) -> Resolver:
    def resolve(row: dict[str, Any], _info: GraphQLResolveInfo) -> Any:
        value = row[name]
        return value if convert is None or value is None else convert(value)
    return resolve


def _payload_text(row: dict[str, Any], _info: GraphQLResolveInfo) -> str | None:
    payload = row["payload"]
    return None if payload is None else bytes(payload).decode("utf-8", errors="replace")


def _payload_base64(row: dict[str, Any], _info: GraphQLResolveInfo) -> str | None:
    payload = row["payload"]
    return None if payload is None else base64.b64encode(bytes(payload)).decode()


_EVENT = {"id": _column("id", str), "sessionId": _column("session_id"),
          "receivedAt": _column("received_at"), "applicationId": _column("application_id")}
_SESSION = {f: _column(c) for f, c in [
    ("sessionId", "session_id"), ("firstSeen", "first_seen"), ("lastSeen", "last_seen"),
    ("eventCount", "event_count"), ("entryPage", "entry_page"), ("exitPage", "exit_page"),
    ("applicationId", "application_id"), ("durationSeconds", "duration_seconds")]}

RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "session": q.resolve_session, "sessions": q.resolve_sessions,
        "events": q.resolve_events, "eventCounts": q.resolve_event_counts,
        "topPages": q.resolve_top_pages, "errors": q.resolve_errors,
        "errorCounts": q.resolve_error_counts, "eventTypes": q.resolve_event_types,
        **seed.QUERY,
    },
    "Mutation": {"deleteSession": resolve_delete_session},
    "Session": {**_SESSION, "events": q.resolve_session_events},
    "Event": _EVENT,
    "RejectedMessage": {"receivedAt": _column("received_at"), "offset": _column("offset", str),
                        "applicationId": _column("application_id"), "payload": _payload_text,
                        "payloadBase64": _payload_base64},
    **seed.TYPES,
    "EventType": {"id": _column("id", str), **seed.EVENT_TYPE},
}
