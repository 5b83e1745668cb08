"""One execution per distinct subscription, its messages copied to every client that sent it.

Executing a subscription's document costs about 0.2 ms of CPU per row (graphql-core, measured
for a five-field `events` selection on a busy 2-core machine); done for every client, ten
dashboards that subscribe to all events at 2,000 events/s would need four CPU-seconds each
second. Clients that send the same document with the same variables get the same messages,
and no subscription field depends on who asks, so the hub runs each distinct subscription
once and serialises each of its messages once; a client costs one copy into its outbox and one
WebSocket write per message.

Each client has its own bounded outbox: a client that reads slowly fills only its own and is
dropped (its `on_overflow`), while the others go on. If a shared execution itself falls behind
its source (the server is short of CPU), every client of it is told with `on_overloaded`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from graphql import ExecutionResult

YIELD_EVERY = 100
Key = tuple[str, str, str | None]  # query, variables as JSON, operation name
# Starts a stream, given what to call when the stream falls behind its source; an
# ExecutionResult instead of a stream holds the errors that kept it from starting.
Start = Callable[[Callable[[], None]], Awaitable[AsyncIterator[ExecutionResult] | ExecutionResult]]


class Outbox:
    """One client's copy of a shared stream: JSON payloads waiting to be sent, bounded."""

    def __init__(self, capacity: int, on_overflow: Callable[[], None],
                 on_overloaded: Callable[[], None]) -> None:
        self.capacity = capacity
        self.on_overflow, self.on_overloaded = on_overflow, on_overloaded
        self._items: deque[str] = deque()
        self._wake = asyncio.Event()
        self._ended = False
        self._dropped = False

    def offer(self, payload: str) -> None:
        if self._dropped or self._ended:
            return
        if len(self._items) >= self.capacity:
            self._dropped = True
            self._wake.set()
            self.on_overflow()
            return
        self._items.append(payload)
        self._wake.set()

    def end(self, last: str | None = None) -> None:
        if last is not None and not self._dropped:
            self._items.append(last)
        self._ended = True
        self._wake.set()

    async def next(self) -> str | None:
        """The next payload; None once the stream ended (or this client was dropped)."""
        while not self._items:
            if self._ended or self._dropped:
                return None
            self._wake.clear()
            await self._wake.wait()
        return self._items.popleft()


@dataclass(eq=False)
class _Shared:
    started: asyncio.Future[ExecutionResult | None]
    outboxes: set[Outbox] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class Hub:
    """The running shared streams. `serialise` makes a `next` payload's JSON of a result;
    `failure` the JSON of the last payload for a stream that raised (None: none)."""

    def __init__(self, serialise: Callable[[ExecutionResult], str],
                 failure: Callable[[Exception], str | None]) -> None:
        self._serialise, self._failure = serialise, failure
        self._streams: dict[Key, _Shared] = {}

    @property
    def streams(self) -> int:
        return len(self._streams)

    @property
    def clients(self) -> int:
        return sum(len(s.outboxes) for s in self._streams.values())

    async def attach(self, key: Key, start: Start, outbox: Outbox) -> ExecutionResult | None:
        """Add `outbox` to the stream of `key`, starting the stream with `start` when none
        runs; the result holding the errors when it could not start."""
        shared = self._streams.get(key)
        if shared is not None:
            refused = await asyncio.shield(shared.started)  # a client may be starting it
            if refused is None and self._streams.get(key) is shared:
                shared.outboxes.add(outbox)
                return None
            if refused is not None:
                return refused
            return await self.attach(key, start, outbox)  # it ended meanwhile: start anew
        shared = _Shared(started=asyncio.get_running_loop().create_future())
        self._streams[key] = shared
        try:
            stream = await start(lambda: self._overloaded(shared))
        except BaseException as exc:
            self._streams.pop(key, None)
            shared.started.set_exception(exc)
            shared.started.exception()  # retrieved: the joiners, if any, see it too
            raise
        if isinstance(stream, ExecutionResult):
            self._streams.pop(key, None)
            shared.started.set_result(stream)
            return stream
        shared.outboxes.add(outbox)
        shared.task = asyncio.create_task(self._run(key, shared, stream),
                                          name="eye-subscription")
        shared.started.set_result(None)
        return None

    def detach(self, key: Key, outbox: Outbox) -> None:
        shared = self._streams.get(key)
        if shared is None:
            return
        shared.outboxes.discard(outbox)
        if not shared.outboxes and shared.task is not None:
            self._streams.pop(key, None)
            shared.task.cancel()

    def _overloaded(self, shared: _Shared) -> None:
        for outbox in list(shared.outboxes):
            outbox.on_overloaded()

    async def _run(self, key: Key, shared: _Shared,
                   stream: AsyncIterator[ExecutionResult]) -> None:
        last: str | None = None
        try:
            async for n, result in _numbered(stream):
                payload = self._serialise(result)
                for outbox in list(shared.outboxes):
                    outbox.offer(payload)
                if n % YIELD_EVERY == 0:
                    # A batch's rows are all at hand: let the clients' senders run meanwhile.
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            last = self._failure(exc)
        finally:
            if self._streams.get(key) is shared:
                self._streams.pop(key, None)
            for outbox in list(shared.outboxes):
                outbox.end(last)
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:  # the stream failed already; closing it may fail too
                    pass



async def _numbered(stream: AsyncIterator[ExecutionResult]
                    ) -> AsyncIterator[tuple[int, ExecutionResult]]:
    n = 0
    async for result in stream:
        n += 1
        yield n, result
