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


def grouped(key: str, fetch: Fetch) -> Callable[..., Awaitable[list[Row]]]:
    """A seed query for the events of the one `key` it is given (a session id, a category):
    one object holding them all, or none when there are none."""
    async def resolve(_: None, info: GraphQLResolveInfo, **args: Any) -> list[Row]:
        ctx = context(info)
        value = args[key]
        rows = await fetch(ctx.pool, value, limit=ctx.settings.api_list_max + 1)
        if not rows:
            return []
        # Cut (and said to be cut) only where the events are asked for (eventsBySession...).
        return [{key: value, "events": rows}]
    return resolve


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


QUERY = {"allEventsBySessionId": grouped("sessionId", queries.session_events),
         "allEventsFromDateTo": resolve_all_events_from_date_to,
         "allEventsByCategory": grouped("name", queries.category_events)}
TYPES = {
    "SessionType": {"eventsBySession": events_of("sessionId", queries.session_events,
                                                 "SessionType.eventsBySession")},
    "CategoryType": {"eventsByCategory": events_of("name", queries.category_events,
                                                   "CategoryType.eventsByCategory")},
    "TimeType": {"eventsByTime": events_of("timestamp", queries.events_at,
                                           "TimeType.eventsByTime")},
}
# EventType, the seed's event: its sessionId, category and timestamp are seed types.
EVENT_TYPE = {"sessionId": parent("sessionId", "session_id"),
              "category": parent("name", "category"),
              "timestamp": parent("timestamp", "timestamp")}
