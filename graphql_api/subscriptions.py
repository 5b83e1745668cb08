"""The Subscription root fields: where each one's messages come from.

`sessionEvents`, `events` and `errors` are rows committed by the worker, from the feed
(graphql_api/feed.py); `pipeline` is the lag and rates that /ui/live shows, measured by the
process's LagMonitor, every `everySeconds`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from graphql_api.context import Context
from graphql_api.feed import Feed, Subscription
from graphql_api.resolvers import app_id
from kafka_edge.lag import LagMonitor, LagUnavailable
from store.pages import rejected_recently

Row = dict[str, Any]
REJECTED_WINDOW = 30.0  # seconds, as on /ui/live
MIN_EVERY = 1.0  # seconds between pipeline messages, at least


@dataclass(slots=True)
class SubscriptionContext(Context):
    """A Context with what subscriptions need: the feed, the lag monitor, and what to do when
    the client falls too far behind."""

    feed: Feed | None = None
    lag: LagMonitor | None = None
    on_overflow: Callable[[], None] = field(default=lambda: None)


def _ctx(info: GraphQLResolveInfo) -> SubscriptionContext:
    ctx: SubscriptionContext = info.context
    return ctx


async def _rows(info: GraphQLResolveInfo, kind: str, match: Callable[[Row], bool]
                ) -> Subscription:
    ctx = _ctx(info)
    assert ctx.feed is not None
    # A batch's rows arrive at once: the execution may fall two of the largest batches
    # behind before its clients are told to come back later.
    capacity = max(ctx.settings.api_ws_buffer, 2 * ctx.settings.batch_size)
    return await ctx.feed.subscribe(kind, match, capacity, ctx.on_overflow)  # type: ignore[arg-type]


async def session_events(_root: Any, info: GraphQLResolveInfo, id: str) -> Subscription:
    return await _rows(info, "events", lambda r: r["session_id"] == id)


async def events(_root: Any, info: GraphQLResolveInfo, filter: dict[str, Any] | None = None
                 ) -> Subscription:
    f = filter or {}
    category, name, app = f.get("category"), f.get("name"), app_id(f.get("applicationId"))

    def match(r: Row) -> bool:
        return ((category is None or r["category"] == category)
                and (name is None or r["name"] == name)
                and (app is None or r["application_id"] == app))

    return await _rows(info, "events", match)


async def errors(_root: Any, info: GraphQLResolveInfo, reason: str | None = None
                 ) -> Subscription:
    return await _rows(info, "errors", lambda r: reason is None or r["reason"] == reason)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def _status(ctx: SubscriptionContext) -> Row:
    assert ctx.lag is not None
    try:
        lag = await ctx.lag.current()
    except LagUnavailable as exc:
        return {"measuredAt": datetime.now(UTC), "lag": None, "lagSeconds": None,
                "receivedPerSecond": None, "processedPerSecond": None,
                "storedPerSecond": None, "rejectedPerSecond": None, "partitions": [],
                "error": str(exc)}
    rates = ctx.lag.rates()
    rejected = await rejected_recently(ctx.pool, REJECTED_WINDOW) / REJECTED_WINDOW
    stored = None if rates.consumed is None else max(rates.consumed - rejected, 0.0)
    return {
        "measuredAt": datetime.fromtimestamp(lag.measured_at, UTC), "lag": lag.total,
        "lagSeconds": round(lag.max_seconds, 3), "receivedPerSecond": _round(rates.produced),
        "processedPerSecond": _round(rates.consumed), "storedPerSecond": _round(stored),
        "rejectedPerSecond": round(rejected, 2), "error": None,
        "partitions": [{"partition": p.partition,
                        "committed": None if p.committed is None else str(p.committed),
                        "end": str(p.high), "lag": p.lag,
                        "lagSeconds": round(p.lag_seconds(lag.measured_at), 3)}
                       for p in lag.partitions]}


async def pipeline(_root: Any, info: GraphQLResolveInfo, everySeconds: float = 2.0
                   ) -> AsyncIterator[Row]:
    ctx = _ctx(info)
    every = max(everySeconds, MIN_EVERY)

    async def ticks() -> AsyncIterator[Row]:
        while True:
            started = time.monotonic()
            yield await _status(ctx)
            await asyncio.sleep(max(every - (time.monotonic() - started), 0.0))

    return ticks()


def _payload(row: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
    return row


FIELDS = {"sessionEvents": session_events, "events": events, "errors": errors,
          "pipeline": pipeline}


def bind(schema: GraphQLSchema) -> GraphQLSchema:
    """Attach the subscribe functions to the schema's Subscription fields."""
    root = schema.subscription_type
    assert root is not None
    for name, subscribe in FIELDS.items():
        root.fields[name].subscribe = subscribe
        root.fields[name].resolve = _payload
    return schema
