"""How fetched messages reach the worker's agent: in lists, not one stream event at a time.

A topic given an `Inbox` skips Faust's stream: the consumer's drain loop appends each of its
messages to the inbox, and the agent takes them as lists. Faust's way, for every message, is a
`wait_first` race of the hand-over against the flow being stopped (four new tasks and an
`asyncio.wait`), the conductor's callback, an event object and the stream's iterator: two
fifths of the worker's time, for messages it only ever handles in batches. The inbox keeps what
that machinery is for: it is cleared with Faust's stream buffers when partitions are revoked; a
full inbox holds the drain loop back, as a full stream buffer does, in one race per half inbox;
and a message that arrives while the flow is stopped is dropped, as Faust drops it (the
partition is read again from its committed offset). Other topics go Faust's way, in the same
loop as Faust's: read positions, gaps of acked topics, `broker_commit_every`, a yield every 100
messages.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.types import TP

YIELD_EVERY = 100


class Inbox:
    """A topic's delivered messages, taken in lists by one agent. Bounded: at `maxsize` the
    consumer waits until half of it is free."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._messages: deque[Any] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()

    def __len__(self) -> int:
        return len(self._messages)

    def full(self) -> bool:
        return len(self._messages) >= self.maxsize

    def put(self, message: Any) -> None:
        self._messages.append(message)
        self._arrived.set()

    async def room(self) -> None:
        """Until at most half of the inbox is in use."""
        while len(self._messages) > self.maxsize // 2:
            self._room.clear()
            await self._room.wait()

    def clear(self) -> None:
        """Forget what is held: Faust calls this when partitions are revoked."""
        self._messages.clear()
        self._room.set()

    async def take(self, most: int, within: float) -> list[Any]:
        """At least one message and at most `most`; once one is there, waits up to `within`
        for `most`."""
        messages = self._messages
        while True:
            while not messages:
                self._arrived.clear()
                await self._arrived.wait()
            if len(messages) < most:
                try:
                    await asyncio.wait_for(self._gathered(most), within)
                except TimeoutError:
                    pass
            if messages:  # unless a revocation cleared them meanwhile
                break
        taken = [messages.popleft() for _ in range(min(most, len(messages)))]
        if len(messages) <= self.maxsize // 2:
            self._room.set()
        return taken

    async def _gathered(self, most: int) -> None:
        while len(self._messages) < most:
            self._arrived.clear()
            await self._arrived.wait()


class InboxDelivery:
    """A mixin for a Faust `Consumer` subclass (it uses the consumer's attributes)."""

    app: Any
    log: Any
    diag: Any
    callback: Any
    suspend_flow: Any
    consumer_stopped_errors: tuple[type[BaseException], ...]
    _read_offset: Any
    _commit_every: int | None
    _n_acked: int
    _stopped: asyncio.Event

    def _suspended(self) -> bool:
        return self.suspend_flow.is_set() or not self.app.flow_control.is_active() or \
            self._stopped.is_set()

    async def _hand_over(self, tp: TP, message: Any) -> None:
        inbox = self.app.inboxes.get(tp.topic)
        if inbox is not None:
            await self._to_inbox(inbox, message)
        else:
            await self.wait_first(self.callback(message), self.suspend_flow.wait())  # type: ignore[attr-defined]

    async def _to_inbox(self, inbox: Inbox, message: Any) -> None:
        if inbox.full():
            await self.wait_first(inbox.room(), self.suspend_flow.wait())  # type: ignore[attr-defined]
        # While the flow is stopped for a rebalance a message is dropped, as Faust drops it:
        # the partition is read again from its committed offset.
        if not self._suspended():
            inbox.put(message)

    async def _drain_messages(self, fetcher: Any) -> None:  # Faust's loop, but `_hand_over`
        read = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        since_yield = 0
        try:
            while not (self._stopped.is_set() or fetcher._stopped.is_set()):
                self.diag.set_flag(CONSUMER_FETCHING)
                messages = self.getmany(timeout=1.0)  # type: ignore[attr-defined]
                await asyncio.sleep(0)  # getmany may return at once, loop after loop
                if self.should_stop:  # type: ignore[attr-defined]
                    continue
                async for tp, message in messages:
                    since_yield += 1
                    if since_yield > YIELD_EVERY:
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset, last = message.offset, read[tp]
                    if last is not None and offset < last:
                        continue  # read before: a seek went back
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)  # type: ignore[attr-defined]
                    if self._commit_every is not None and self._n_acked >= self._commit_every:
                        self._n_acked = 0
                        await self.commit()  # type: ignore[attr-defined]
                    await self._hand_over(tp, message)
                    read[tp] = offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)
