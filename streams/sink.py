"""The batching sink: rows wait here until one transaction stores them; then their offsets go."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from store.rows import ErrorRow, EventRow

log = logging.getLogger(__name__)


class Ackable(Protocol):
    def ack(self) -> bool: ...


class BatchWriter(Protocol):
    async def write(self, events: list[EventRow], errors: list[ErrorRow]) -> None: ...


class BatchSink:
    """Holds rows with the messages they came from; acks the messages once the rows are stored.

    A message is acked (and so its offset may be committed) only after the transaction holding
    its row has committed. While the database is away the batch is kept and retried with backoff;
    `add` then blocks, which stops consumption instead of growing memory.
    """

    def __init__(self, writer: BatchWriter, *, max_rows: int, max_wait: float,
                 max_backoff: float = 10.0, on_stored: Callable[[int, int, float], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._writer = writer
        self._max_rows = max_rows
        self.max_wait = max_wait
        self._max_backoff = max_backoff
        self._on_stored = on_stored
        self._clock = clock
        self._events: list[EventRow] = []
        self._errors: list[ErrorRow] = []
        self._messages: list[Ackable] = []
        self._oldest: float | None = None
        self._lock = asyncio.Lock()
        self.failures = 0

    def __len__(self) -> int:
        return len(self._messages)

    async def add(self, row: EventRow | ErrorRow, message: Ackable) -> None:
        if isinstance(row, EventRow):
            self._events.append(row)
        else:
            self._errors.append(row)
        self._messages.append(message)
        if self._oldest is None:
            self._oldest = self._clock()
        if len(self._messages) >= self._max_rows:
            await self.flush()

    def due(self) -> bool:
        return self._oldest is not None and self._clock() - self._oldest >= self.max_wait

    async def flush(self) -> None:
        async with self._lock:
            if not self._messages:
                return
            # Swap first: rows added while we write go to the next batch.
            events, errors, messages = self._events, self._errors, self._messages
            self._events, self._errors, self._messages, self._oldest = [], [], [], None
            await self._write_until_stored(events, errors)
            for m in messages:
                m.ack()

    async def _write_until_stored(self, events: list[EventRow], errors: list[ErrorRow]) -> None:
        delay = 0.1
        while True:
            started = self._clock()
            try:
                await self._writer.write(events, errors)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database's own errors vary; all mean "not stored yet"
                self.failures += 1
                log.warning("batch of %d rows not stored (%s: %s); retrying in %.1fs",
                            len(events) + len(errors), type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            if self._on_stored is not None:
                self._on_stored(len(events), len(errors), self._clock() - started)
            return
