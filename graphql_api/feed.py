"""Committed rows fanned out to subscriptions: one LISTEN connection per API process.

Why this design. Subscribers must see a row only once its transaction committed, in the order
the worker read it, without each subscription polling the database. The writer sends one
`pg_notify` per batch inside the batch's transaction (store/notify.py); PostgreSQL delivers it
at commit, never for a rollback, and in commit order. The API holds one dedicated connection
that LISTENs, so the cost on the database is one connection and one read per batch however
many clients subscribe: per notification the feed reads the announced rows once (by Kafka
partition and offset, indexed) and hands each to the subscriptions whose filter matches.

Each subscriber (one per distinct subscription, graphql_api/hub.py) has a bounded buffer. The
feed never waits for a subscriber: a buffer that is full means the subscription's execution
falls behind the rows, and its `on_overflow` is called instead of the server holding an
ever-growing backlog.

Rows are delivered once: per partition the feed remembers the highest offset it delivered, so
a range announced again (a redelivered batch) or overlapping an earlier one adds nothing.
When the LISTEN connection is lost, notifications sent meanwhile are lost with it: every open
subscription then ends with an error (`on_gap`) rather than silently skipping rows, and the
feed connects again for new subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Literal


from base.errors import EyeError
from store import notify
from store.db import AsyncConnectionPool, connect_async

log = logging.getLogger("eye.graphql.feed")

Row = dict[str, Any]
Kind = Literal["events", "errors"]


class FeedUnavailable(EyeError):
    """The database could not be listened to, or the listening connection was lost."""


class Subscriber:
    """One subscription's filter and its bounded buffer of rows waiting to be sent."""

    def __init__(self, kind: Kind, match: Callable[[Row], bool], capacity: int,
                 on_overflow: Callable[[], None]) -> None:
        self.kind, self.match, self.capacity = kind, match, capacity
        self._on_overflow = on_overflow
        self._rows: deque[Row] = deque()
        self._wake = asyncio.Event()
        self.failed: str | None = None

    def offer(self, row: Row) -> None:
        if self.failed is not None:
            return
        if len(self._rows) >= self.capacity:
            self.failed = f"more than {self.capacity} messages waiting"
            self._wake.set()
            self._on_overflow()
            return
        self._rows.append(row)
        self._wake.set()

    def fail(self, why: str) -> None:
        self.failed = why
        self._wake.set()

    async def next(self) -> Row:
        while not self._rows:
            if self.failed is not None:
                raise FeedUnavailable(self.failed)
            self._wake.clear()
            await self._wake.wait()
        return self._rows.popleft()


class Subscription:
    """An async iterator of one subscriber's rows; closing it (or its end) unregisters it."""

    def __init__(self, sub: Subscriber, release: Callable[[Subscriber], None]) -> None:
        self._sub, self._release = sub, release

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Row:
        try:
            return await self._sub.next()
        except BaseException:
            self._release(self._sub)
            raise

    async def aclose(self) -> None:
        self._release(self._sub)


class Feed:
    def __init__(self, dsn: str, pool: AsyncConnectionPool, *, connect_timeout: float = 5.0
                 ) -> None:
        self._dsn, self._pool, self._connect_timeout = dsn, pool, connect_timeout
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        # Highest offset delivered, per events partition and per (topic, partition) of errors.
        self._delivered: dict[Kind, dict[Any, int]] = {"events": {}, "errors": {}}

    async def subscribe(self, kind: Kind, match: Callable[[Row], bool], capacity: int,
                        on_overflow: Callable[[], None]) -> Subscription:
        """The matching rows committed from now on: listening has started and the subscriber
        is counted when this returns. Raises FeedUnavailable."""
        await self._listening()
        sub = Subscriber(kind, match, capacity, on_overflow)
        self._subscribers.add(sub)
        return Subscription(sub, self._subscribers.discard)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def _listening(self) -> None:
        if self._task is None or self._task.done():
            self._ready = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(self._ready), name="eye-feed")
        assert self._ready is not None
        await asyncio.shield(self._ready)

    async def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            conn = await connect_async(self._dsn, autocommit=True,
                                                 connect_timeout=int(self._connect_timeout))
        except Exception as exc:
            ready.set_exception(FeedUnavailable(f"cannot listen to the database: {exc}"))
            return
        try:
            async with conn:
                await notify.listen(conn)
                ready.set_result(None)
                async for n in conn.notifies():
                    await self._dispatch(notify.parse(n.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("the subscriptions' LISTEN connection failed: %s", exc)
            if not ready.done():
                ready.set_exception(FeedUnavailable(f"cannot listen to the database: {exc}"))
        finally:
            # Rows committed from now until a new connection listens would be missed.
            for sub in list(self._subscribers):
                sub.fail("the server lost its connection to the database's notifications; "
                         "rows may have been missed: subscribe again")

    async def _dispatch(self, written: notify.Written) -> None:
        for kind, ranges, fetch, key in (
                ("events", written.events, notify.events_in,
                 lambda r: r["kafka_partition"]),
                ("errors", written.errors, notify.errors_in,
                 lambda r: (r["topic"], r["partition"]))):
            subs = [s for s in self._subscribers if s.kind == kind]
            if not subs or not ranges:
                continue
            async with self._pool.connection() as conn:
                rows = await fetch(conn, ranges)  # type: ignore[operator]
            delivered = self._delivered[kind]  # type: ignore[index]
            for row in rows:
                k = key(row)
                offset = row["kafka_offset" if kind == "events" else "offset"]
                if offset <= delivered.get(k, -1):
                    continue
                delivered[k] = offset
                for s in subs:
                    if s.match(row):
                        s.offer(row)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
