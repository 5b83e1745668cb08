"""The Query resolvers: translate GraphQL fields into calls to store.queries. The seed's fields
are in seed.py, the mutation in mutations.py, and which resolver answers which field in
binding.py."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode

from graphql_api.context import Context
from graphql_api.errors import BadArgument
from graphql_api.pagination import connection, decode, page_size
from store import queries
from store.queries import EventFilter


def context(info: GraphQLResolveInfo) -> Context:
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


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise BadArgument(f"`to` ({end.isoformat()}) is before `from` ({start.isoformat()})")


def capped(rows: list[dict[str, Any]], info: GraphQLResolveInfo, what: str
           ) -> list[dict[str, Any]]:
    """Rows fetched with limit api_list_max + 1: the extra one means the list was cut."""
    ctx = context(info)
    cap = ctx.settings.api_list_max
    if len(rows) <= cap:
        return rows
    ctx.note(f"{what}: more than {cap} events; the first {cap} in time order are shown. "
             "Use events(filter: …, first: …, after: …) to page through all of them.",
             list(info.path.as_list()), code="LIST_TRUNCATED", limit=cap)
    return rows[:cap]


def _selects(info: GraphQLResolveInfo, name: str) -> bool:
    """Whether the field being resolved selects the subfield `name`, in fragments too."""
    pending = [node.selection_set for node in info.field_nodes]
    while pending:
        selection_set = pending.pop()
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                if sel.name.value == name:
                    return True
            elif isinstance(sel, InlineFragmentNode):
                pending.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in info.fragments:
                pending.append(info.fragments[sel.name.value].selection_set)
    return False


def _event_key(row: dict[str, Any]) -> tuple[datetime, Any]:
    return row["timestamp"], row["id"]


# ---- Query: events and sessions ----------------------------------------------------------------

async def resolve_events(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                         first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = context(info)
    f = filter or {}
    check_range(f.get("from"), f.get("to"))
    size = page_size(first, default=ctx.settings.api_page_default,
                     maximum=ctx.settings.api_page_max)
    flt = EventFilter(session_id=f.get("sessionId"), category=f.get("category"),
                      name=f.get("name"), application_id=app_id(f.get("applicationId")),
                      start=f.get("from"), end=f.get("to"))
    rows = await queries.events(ctx.pool, flt, after=decode(after, kind=UUID), limit=size + 1)
    return connection(rows, size, after=after, key=_event_key)


_EVENTS_READ = "_events"  # a session row's events, when they were read with it


async def resolve_session(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    ctx = context(info)
    if not _selects(info, "events"):
        return await queries.session(ctx.pool, id)
    row, events = await queries.session_with_events(ctx.pool, id,
                                                    limit=ctx.settings.api_list_max + 1)
    if row is not None:
        row[_EVENTS_READ] = events
    return row


async def resolve_session_events(session: dict[str, Any], info: GraphQLResolveInfo
                                 ) -> list[dict[str, Any]]:
    rows = session.get(_EVENTS_READ)
    if rows is None:
        ctx = context(info)
        rows = await queries.session_events(ctx.pool, session["session_id"],
                                            limit=ctx.settings.api_list_max + 1)
    return capped(rows, info, "Session.events")


async def resolve_sessions(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                           first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = context(info)
    f = filter or {}
    check_range(f.get("from"), f.get("to"))
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
    ctx = context(info)
    start, end = args["from"], args["to"]
    check_range(start, end)
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
    ctx = context(info)
    check_range(args["from"], args["to"])
    limit = page_size(limit, default=10, maximum=ctx.settings.api_page_max)
    return await queries.top_pages(ctx.pool, args["from"], args["to"], limit=limit)


# ---- Query: errors -----------------------------------------------------------------------------

async def resolve_errors(_: None, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None,
                         first: int | None = None, after: str | None = None) -> dict[str, Any]:
    ctx = context(info)
    f = filter or {}
    check_range(f.get("from"), f.get("to"))
    size = page_size(first, default=ctx.settings.api_page_default,
                     maximum=ctx.settings.api_page_max)
    rows = await queries.errors(ctx.pool, reason=f.get("reason"), start=f.get("from"),
                                end=f.get("to"), application_id=app_id(f.get("applicationId")),
                                session_id=f.get("sessionId"), after=decode(after, kind=int),
                                limit=size + 1)
    return connection(rows, size, after=after, key=lambda r: (r["received_at"], r["id"]))


async def resolve_error_counts(_: None, info: GraphQLResolveInfo, **args: Any
                               ) -> list[dict[str, Any]]:
    ctx = context(info)
    check_range(args.get("from"), args.get("to"))
    return await queries.error_counts(ctx.pool, start=args.get("from"), end=args.get("to"))


# ---- Query: event types ------------------------------------------------------------------------

def resolve_event_types(_: None, _info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    from validators import registry

    return registry.schemas()
