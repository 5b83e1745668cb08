"""Resolvers: translate GraphQL fields into calls to store.queries, and rows into fields."""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from graphql import GraphQLResolveInfo

from kafka_edge.clients import DeliveryFailed
from kafka_edge.control import forget_session
from graphql_api.context import Context
from graphql_api.errors import BadArgument, Forbidden, ForgetNotDelivered
from graphql_api.pagination import connection, decode, page_size
from store import queries, session_rows
from store.queries import EventFilter

Resolver = Callable[..., Any]


def _ctx(info: GraphQLResolveInfo) -> Context:
    ctx: Context = info.context
    return ctx


def app_id(value: str | None) -> int | None:
    """The `applicationId` argument (an ID, so a string) as the number it names."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadArgument(f"applicationId must be a number, got {value!r}",
                          argument="applicationId") from None


def _range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise BadArgument(f"`to` ({end.isoformat()}) is before `from` ({start.isoformat()})")


def _capped(rows: list[dict[str, Any]], info: GraphQLResolveInfo, what: str
            ) -> list[dict[str, Any]]:
    """Rows fetched with limit api_list_max + 1: the extra one means the list was cut."""
    ctx = _ctx(info)
    cap = ctx.settings.api_list_max
    if len(rows) <= cap:
        return rows
    ctx.note(f"{what}: more than {cap} events; the first {cap} in time order are shown. "
             "Use events(filter: …, first: …, after: …) to page through all of them.",
             list(info.path.as_list()), code="LIST_TRUNCATED", limit=cap)
    return rows[:cap]


def _event_key(row: dict[str, Any]) -> tuple[datetime, Any]:
    return row["timestamp"], row["id"]


# ---- Query: events and sessions ----------------------------------------------------------------

async def resolve_events(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                         first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = _ctx(info)
    f = filter or {}
    _range(f.get("from"), f.get("to"))
    size = page_size(first, default=ctx.settings.api_page_default,
                     maximum=ctx.settings.api_page_max)
    flt = EventFilter(session_id=f.get("sessionId"), category=f.get("category"),
                      name=f.get("name"), application_id=app_id(f.get("applicationId")),
                      start=f.get("from"), end=f.get("to"))
    rows = await queries.events(ctx.pool, flt, after=decode(after, kind=UUID), limit=size + 1)
    return connection(rows, size, after=after, key=_event_key)


async def resolve_session(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    return await queries.session(ctx.pool, id)


async def resolve_session_events(session: dict[str, Any], info: GraphQLResolveInfo
                                 ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    rows = await queries.session_events(ctx.pool, session["session_id"],
                                        limit=ctx.settings.api_list_max + 1)
    return _capped(rows, info, "Session.events")


async def resolve_sessions(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                           first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = _ctx(info)
    f = filter or {}
    _range(f.get("from"), f.get("to"))
    size = page_size(first, default=ctx.settings.api_page_default,
                     maximum=ctx.settings.api_page_max)
    rows = await queries.sessions(ctx.pool, application_id=app_id(f.get("applicationId")),
                                  start=f.get("from"), end=f.get("to"), after=decode(after),
                                  limit=size + 1)
    return connection(rows, size, after=after, key=lambda r: (r["first_seen"], r["session_id"]))


# ---- Query: counts -----------------------------------------------------------------------------

_BUCKET = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1)}


async def resolve_event_counts(_: None, info: GraphQLResolveInfo, bucket: str,
                               groupBy: list[str] | None = None, **args: Any
                               ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    start, end = args["from"], args["to"]
    _range(start, end)
    buckets = math.ceil((end - start) / _BUCKET[bucket]) + 1
    if buckets > ctx.settings.api_list_max:
        raise BadArgument(f"the range spans {buckets} {bucket.lower()} buckets; at most "
                          f"{ctx.settings.api_list_max} are allowed: shorten it or use DAY",
                          limit=ctx.settings.api_list_max)
    group = tuple(sorted({g.lower() for g in groupBy or ()}))
    return await queries.event_counts(ctx.pool, start, end, bucket=bucket.lower(),  # type: ignore[arg-type]
                                      group_by=group)  # type: ignore[arg-type]


async def resolve_top_pages(_: None, info: GraphQLResolveInfo, limit: int, **args: Any
                            ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    _range(args["from"], args["to"])
    limit = page_size(limit, default=10, maximum=ctx.settings.api_page_max)
    return await queries.top_pages(ctx.pool, args["from"], args["to"], limit=limit)


# ---- Query: errors -----------------------------------------------------------------------------

async def resolve_errors(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                         first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = _ctx(info)
    f = filter or {}
    _range(f.get("from"), f.get("to"))
    size = page_size(first, default=ctx.settings.api_page_default,
                     maximum=ctx.settings.api_page_max)
    rows = await queries.errors(ctx.pool, reason=f.get("reason"), start=f.get("from"),
                                end=f.get("to"), application_id=app_id(f.get("applicationId")),
                                session_id=f.get("sessionId"), after=decode(after, kind=int),
                                limit=size + 1)
    return connection(rows, size, after=after, key=lambda r: (r["received_at"], r["id"]))


async def resolve_error_counts(_: None, info: GraphQLResolveInfo, **args: Any
                               ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    _range(args.get("from"), args.get("to"))
    return await queries.error_counts(ctx.pool, start=args.get("from"), end=args.get("to"))


def _payload_text(row: dict[str, Any], _info: GraphQLResolveInfo) -> str | None:
    payload = row["payload"]
    return None if payload is None else bytes(payload).decode("utf-8", errors="replace")


def _payload_base64(row: dict[str, Any], _info: GraphQLResolveInfo) -> str | None:
    payload = row["payload"]
    return None if payload is None else base64.b64encode(bytes(payload)).decode()


# ---- Query: event types ------------------------------------------------------------------------

def resolve_event_types(_: None, _info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    from validators import registry

    return registry.schemas()


# ---- Query: the seed's shapes ------------------------------------------------------------------
# SessionType, CategoryType and TimeType are dicts holding their key and, when the parent query
# fetched them already, their events; otherwise their events field asks the store.

def _seed_event_session(row: dict[str, Any], _info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"sessionId": row["session_id"], "events": None}


def _seed_event_category(row: dict[str, Any], _info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"name": row["category"], "events": None}


def _seed_event_time(row: dict[str, Any], _info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"timestamp": row["timestamp"], "events": None}


async def resolve_all_events_by_session_id(_: None, info: GraphQLResolveInfo, sessionId: str
                                           ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    rows = await queries.session_events(ctx.pool, sessionId, limit=ctx.settings.api_list_max + 1)
    if not rows:
        return []
    # Cut (and said to be cut) only where the events are asked for: eventsBySession.
    return [{"sessionId": sessionId, "events": rows}]


async def resolve_all_events_from_date_to(_: None, info: GraphQLResolveInfo, fromDate: datetime,
                                          toDate: datetime) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    _range(fromDate, toDate)
    rows = await queries.events_between(ctx.pool, fromDate, toDate,
                                        limit=ctx.settings.api_list_max + 1)
    times: list[dict[str, Any]] = []
    for row in _capped(rows, info, "allEventsFromDateTo"):
        if times and times[-1]["timestamp"] == row["timestamp"]:
            times[-1]["events"].append(row)
        else:
            times.append({"timestamp": row["timestamp"], "events": [row]})
    return times


async def resolve_all_events_by_category(_: None, info: GraphQLResolveInfo, name: str
                                         ) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    rows = await queries.category_events(ctx.pool, name, limit=ctx.settings.api_list_max + 1)
    if not rows:
        return []
    return [{"name": name, "events": rows}]


async def _preloaded_or(obj: dict[str, Any], info: GraphQLResolveInfo, fetch: Any, key: str,
                        where: str) -> list[dict[str, Any]]:
    """A seed type's event list: the rows its parent read, else `fetch` of `obj[key]`."""
    rows = obj["events"]
    if rows is None:
        ctx = _ctx(info)
        rows = await fetch(ctx.pool, obj[key], limit=ctx.settings.api_list_max + 1)
    return _capped(rows, info, where)


async def _events_by_session(obj: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return await _preloaded_or(obj, info, queries.session_events, "sessionId",
                               "SessionType.eventsBySession")


async def _events_by_category(obj: dict[str, Any], info: GraphQLResolveInfo
                              ) -> list[dict[str, Any]]:
    return await _preloaded_or(obj, info, queries.category_events, "name",
                               "CategoryType.eventsByCategory")


async def _events_by_time(obj: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    if obj["events"] is not None:
        return obj["events"]  # type: ignore[no-any-return]
    ctx = _ctx(info)
    rows = await queries.events_at(ctx.pool, obj["timestamp"], limit=ctx.settings.api_list_max + 1)
    return _capped(rows, info, "TimeType.eventsByTime")


# ---- Mutation ----------------------------------------------------------------------------------

async def resolve_delete_session(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    if not ctx.token.admin:
        raise Forbidden(f"deleteSession needs an admin token; token {ctx.token.name!r} is not one "
                        "(create one with `eye tokens add NAME --admin`)")
    deleted = await session_rows.delete(ctx.pool, id)
    # After the rows: should the worker see an event of the session before it forgets it,
    # a second request finds the new rows; the other order could leave rows behind.
    try:
        await asyncio.to_thread(forget_session, ctx.settings, id)
    except DeliveryFailed as exc:
        raise ForgetNotDelivered(f"the session's rows are deleted ({deleted.events} events) but "
                                 f"the worker was not told to forget its state ({exc}); run "
                                 "deleteSession again") from exc
    return {"sessionId": id, "events": deleted.events, "session": deleted.session}


# ---- binding -----------------------------------------------------------------------------------

def _column(name: str, convert: Callable[[Any], Any] | None = None) -> Resolver:
    def resolve(row: dict[str, Any], _info: GraphQLResolveInfo) -> Any:
        value = row[name]
        return value if convert is None or value is None else convert(value)
    return resolve


_EVENT = {"id": _column("id", str), "sessionId": _column("session_id"),
          "receivedAt": _column("received_at"), "applicationId": _column("application_id")}
_SESSION = {f: _column(c) for f, c in [
    ("sessionId", "session_id"), ("firstSeen", "first_seen"), ("lastSeen", "last_seen"),
    ("eventCount", "event_count"), ("entryPage", "entry_page"), ("exitPage", "exit_page"),
    ("applicationId", "application_id"), ("durationSeconds", "duration_seconds")]}

RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "session": resolve_session, "sessions": resolve_sessions, "events": resolve_events,
        "eventCounts": resolve_event_counts, "topPages": resolve_top_pages,
        "errors": resolve_errors, "errorCounts": resolve_error_counts,
        "eventTypes": resolve_event_types,
        "allEventsBySessionId": resolve_all_events_by_session_id,
        "allEventsFromDateTo": resolve_all_events_from_date_to,
        "allEventsByCategory": resolve_all_events_by_category,
    },
    "Mutation": {"deleteSession": resolve_delete_session},
    "Session": {**_SESSION, "events": resolve_session_events},
    "Event": _EVENT,
    "RejectedMessage": {"receivedAt": _column("received_at"), "offset": _column("offset", str),
                        "applicationId": _column("application_id"), "payload": _payload_text,
                        "payloadBase64": _payload_base64},
    "SessionType": {"eventsBySession": _events_by_session},
    "CategoryType": {"eventsByCategory": _events_by_category},
    "TimeType": {"eventsByTime": _events_by_time},
    "EventType": {"id": _column("id", str), "sessionId": _seed_event_session,
                  "category": _seed_event_category, "timestamp": _seed_event_time},
}
