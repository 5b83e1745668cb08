"""The seed's shapes (allEventsBySessionId, allEventsFromDateTo, allEventsByCategory).

SessionType, CategoryType and TimeType are dicts holding their key and, when the parent query
fetched them already, their events; otherwise their events field asks the store. An Event's
sessionId, category and timestamp fields are such objects too, made from the event's row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from graphql import GraphQLResolveInfo

from graphql_api.resolvers import capped, check_range, context
from store import queries

Row = dict[str, Any]
Fetch = Callable[..., Awaitable[list[Row]]]


def parent(key: str, column: str) -> Callable[[Row, GraphQLResolveInfo], Row]:
    """An Event's field that is a seed type: its `key` from the row's `column`, its events
    left for the type's own field to fetch."""
    def resolve(row: Row, _info: GraphQLResolveInfo) -> Row:
        return {key: row[column], "events": None}
    return resolve


def events_of(key: str, fetch: Fetch, where: str
              ) -> Callable[[Row, GraphQLResolveInfo], Awaitable[list[Row]]]:
    """A seed type's event list: the rows its parent read, else `fetch` of its `key`."""
    async def resolve(obj: Row, info: GraphQLResolveInfo) -> list[Row]:
        rows = obj["events"]
        if rows is None:
            ctx = context(info)
            rows = await fetch(ctx.pool, obj[key], limit=ctx.settings.api_list_max + 1)
        return capped(rows, info, where)
    return resolve


async def resolve_all_events_by_session_id(_: None, info: GraphQLResolveInfo, sessionId: str
                                           ) -> list[Row]:
    ctx = context(info)
    rows = await queries.session_events(ctx.pool, sessionId, limit=ctx.settings.api_list_max + 1)
    if not rows:
        return []
    # Cut (and said to be cut) only where the events are asked for: eventsBySession.
    return [{"sessionId": sessionId, "events": rows}]


async def resolve_all_events_from_date_to(_: None, info: GraphQLResolveInfo, fromDate: datetime,
                                          toDate: datetime) -> list[Row]:
    ctx = context(info)
    check_range(fromDate, toDate)
    rows = await queries.events_between(ctx.pool, fromDate, toDate,
                                        limit=ctx.settings.api_list_max + 1)
    times: list[Row] = []
    for row in capped(rows, info, "allEventsFromDateTo"):
        if times and times[-1]["timestamp"] == row["timestamp"]:
            times[-1]["events"].append(row)
        else:
            times.append({"timestamp": row["timestamp"], "events": [row]})
    return times


async def resolve_all_events_by_category(_: None, info: GraphQLResolveInfo, name: str
                                         ) -> list[Row]:
    ctx = context(info)
    rows = await queries.category_events(ctx.pool, name, limit=ctx.settings.api_list_max + 1)
    if not rows:
        return []
    return [{"name": name, "events": rows}]


QUERY = {"allEventsBySessionId": resolve_all_events_by_session_id,
         "allEventsFromDateTo": resolve_all_events_from_date_to,
         "allEventsByCategory": resolve_all_events_by_category}
TYPES = {
    "SessionType": {"eventsBySession": events_of("sessionId", queries.session_events,
                                                 "SessionType.eventsBySession")},
    "CategoryType": {"eventsByCategory": events_of("name", queries.category_events,
                                                   "CategoryType.eventsByCategory")},
    "TimeType": {"eventsByTime": events_of("timestamp", queries.events_at, "TimeType.eventsByTime")},
}
# EventType, the seed's event: its sessionId, category and timestamp are seed types.
EVENT_TYPE = {"sessionId": parent("sessionId", "session_id"),
                "category": parent("name", "category"),
                "timestamp": parent("timestamp", "timestamp")}
