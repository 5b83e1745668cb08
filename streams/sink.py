"""The batching sink: rows wait here until one transaction stores them; then their offsets go."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from base import backoff
from store.errors import RowsRejected, StoreUnavailable
from store.rows import Batch, ErrorRow, EventRow, Incident, SessionRow
from streams import to_rows as rows
from streams.sessions import Session
from validators import Reason

log = logging.getLogger(__name__)


class BatchWriter(Protocol):
    async def write(self, batch: Batch) -> list[ErrorRow]: ...


# Called after each stored batch with the batch, the seconds it took, and the error rows the
# writer added (duplicates found in the database).
Stored = Callable[[Batch, float, list[ErrorRow]], None]
DeadLetters = Callable[[list[ErrorRow]], Awaitable[None]]
# Told which messages' rows are stored, so their offsets may be committed.
Release = Callable[[list[Any]], Awaitable[None]]


class BatchSink:
    """Holds rows with the messages they came from; releases the messages once the rows are
    stored.

    A message is released (so its offset may be committed) only after the transaction holding
    its row has committed. While the database is away the batch is kept and retried with backoff;
    `add` then blocks, which stops consumption instead of growing memory. A batch the database
    refuses is stored row by row, and a row it still refuses becomes a `sink_failed` error; an
    error row it refuses is stored in the plainest form (streams.to_rows.last_resort), and while
    even that is refused the sink stalls and says so. No row is ever dropped.
    """

    def __init__(self, writer: BatchWriter, *, release: Release, max_rows: int, max_wait: float,
                 max_backoff: float = 10.0, on_stored: Stored | None = None,
                 dead_letters: DeadLetters | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._writer = writer
        self._release = release
        self._max_rows = max_rows
        self.max_wait = max_wait
        self._max_backoff = max_backoff
        self._on_stored = on_stored
        self._dead_letters = dead_letters
        self._clock = clock
        self._batch = Batch.empty()
        self._messages: list[Any] = []
        # Session id -> its state after its last row held here, made a snapshot at hand-off.
        self._states: dict[str, Session] = {}
        self._oldest: float | None = None
        self._lock = asyncio.Lock()
        self._writing: asyncio.Task[None] | None = None
        self._in_flight: tuple[Batch, list[Any]] = (Batch.empty(), [])
        # Stored, but their release failed: released with the next batch's messages.
        self._unreleased: list[Any] = []
        self.failures = 0

    def __len__(self) -> int:
        return len(self._messages)

    async def add(self, row: EventRow | ErrorRow, message: Any,
                  session: Session | None = None) -> None:
        """Hold `row`; `session` is its session's state after it, stored with it in one
        transaction (as a snapshot made once per session and batch, at hand-off)."""
        await self.add_all([(row, message, session)])

    async def add_all(self, held: list[tuple[EventRow | ErrorRow, Any, Session | None]]
                      ) -> None:
        """`add` for each (row, message, session), in order, with one await per hand-off
        rather than one per row."""
        for row, message, session in held:
            if isinstance(row, EventRow):
                self._batch.events.append(row)
            else:
                self._batch.errors.append(row)
            if session is not None:
                self._states[session.session_id] = session
            self._messages.append(message)
            if self._oldest is None:
                self._oldest = self._clock()
            if len(self._messages) >= self._max_rows:
                await self.hand_off()

    async def add_session(self, session: SessionRow) -> None:
        """A session snapshot with no message of its own; written with the next batch."""
        self._states.pop(session.session_id, None)  # this one is the later
        self._batch.sessions[session.session_id] = session
        if self._oldest is None:
            self._oldest = self._clock()

    def due(self) -> bool:
        return self._oldest is not None and self._clock() - self._oldest >= self.max_wait

    async def hand_off(self) -> None:
        """Start writing what is held, without waiting for it to be stored.

        One batch is written while the next one fills; a third waits here, which is the
        backpressure that stops consumption when the database is slow or away.
        """
        async with self._lock:
            await self._settle()
            if not self._messages and not self._batch.sessions and not self._batch.incidents \
                    and not self._states:
                return
            # Swap first: rows added while we write go to the next batch.
            batch, messages = self._batch, self._messages
            batch.sessions.update((sid, rows.session_row(s)) for sid, s in self._states.items())
            self._batch, self._messages, self._oldest = Batch.empty(), [], None
            self._states = {}
            self._in_flight = (batch, messages)
            self._writing = asyncio.create_task(self._store(batch, messages))

    async def flush(self) -> None:
        """Store everything held now, and wait until it is."""
        await self.hand_off()
        async with self._lock:
            await self._settle()

    async def _settle(self) -> None:
        """Wait for the batch being written. `_store` ends only once its rows are stored; a
        write that ended otherwise (cancelled, or a fault in the sink itself) gives its batch
        back, in front of what is held, so it is written again with the next one: its messages
        are never released without their rows, and the sink goes on."""
        task = self._writing
        if task is None:
            return
        # Not `await task`: that would cancel the write along with a caller given up on.
        await asyncio.wait([task])
        self._writing = None
        if task.cancelled() or task.exception() is not None:
            batch, messages = self._in_flight
            log.error("a write of %d rows ended before they were stored; they are written again "
                      "with the next batch", len(batch),
                      exc_info=None if task.cancelled() else task.exception())
            self._give_back(batch, messages)

    def _give_back(self, batch: Batch, messages: list[Any]) -> None:
        held = self._batch
        # Storing again what was stored already adds nothing: the writes are idempotent.
        self._batch = Batch(batch.events + held.events, batch.errors + held.errors,
                            {**batch.sessions, **held.sessions},  # the later snapshot wins
                            batch.incidents + held.incidents)
        self._messages = messages + self._messages
        if self._oldest is None:
            self._oldest = self._clock()

    async def _store(self, batch: Batch, messages: list[Any]) -> None:
        started = self._clock()
        try:
            extra = await self._write(batch)
        except RowsRejected as exc:
            log.error("batch of %d rows refused (%s); storing row by row", len(batch), exc)
            extra = await self._write_row_by_row(batch)
        if self._dead_letters is not None:
            try:
                await self._dead_letters(batch.errors + extra)
            except Exception as exc:  # the errors table has the rows; the topic is a copy
                log.error("dead-letter topic not written: %s", exc)
        if self._on_stored is not None:
            try:
                self._on_stored(batch, self._clock() - started, extra)
            except Exception:  # metrics must not hold back the release of stored rows
                log.exception("a stored batch was not counted")
        messages, self._unreleased = self._unreleased + messages, []
        try:
            await self._release(messages)
        except Exception:
            # Their rows are stored, so releasing them later is safe; never releasing them
            # would hold their partitions' commits.
            log.exception("%d stored messages not released; retried with the next batch",
                          len(messages))
            self._unreleased = messages

    async def _write(self, batch: Batch) -> list[ErrorRow]:
        """Write, waiting out an unreachable database; raises RowsRejected.

        A failure the writer does not name is a fault of ours, not a verdict on the rows (that
        is RowsRejected): the batch is kept and retried too, rather than turned into errors,
        so the sink stalls, and says so, until the fault clears.
        """
        since, attempts, wait = datetime.now(UTC), 0, backoff.delays(0.1, self._max_backoff)
        while True:
            try:
                extra = await self._writer.write(batch)
            except RowsRejected:
                raise
            except Exception as exc:
                attempts += 1
                self.failures += 1
                delay = next(wait)
                if isinstance(exc, (StoreUnavailable, OSError)):
                    log.warning("batch of %d rows not stored (%s); kept, retry %d in %.1fs",
                                len(batch), exc, attempts, delay)
                else:
                    log.error("batch of %d rows not stored: unexpected %s: %s; kept, retry %d "
                              "in %.1fs", len(batch), type(exc).__name__, exc, attempts, delay,
                              exc_info=attempts == 1)
                await asyncio.sleep(delay)
                continue
            if attempts:
                await self._record_outage(since, attempts)
            return extra

    async def note_outage(self, since: datetime, attempts: int, what: str) -> None:
        """An outage waited out elsewhere (`what` waited): recorded with the next batch."""
        self._batch.incidents.append(Incident(
            "database_unavailable", f"{what} waited for the database; {attempts} failed attempts",
            since, datetime.now(UTC), attempts))
        if self._oldest is None:
            self._oldest = self._clock()

    async def _record_outage(self, since: datetime, attempts: int) -> None:
        incident = Incident("database_unavailable",
                            f"batches waited for the database; {attempts} failed attempts",
                            since, datetime.now(UTC), attempts)
        try:
            await self._writer.write(Batch([], [], {}, [incident]))
        except Exception as exc:  # the batch is stored; the incident is only its story
            log.error("could not record %s: %s", incident, exc)

    async def _write_row_by_row(self, batch: Batch) -> list[ErrorRow]:
        extra: list[ErrorRow] = []
        for e in batch.events:
            try:
                extra += await self._write(Batch([e], [], {}, []))
            except RowsRejected as exc:
                extra.append(ErrorRow(Reason.SINK_FAILED, f"event {e.id}: {exc}",
                                      e.application_id, e.source))
        failed = [r for r in extra if r.reason == Reason.SINK_FAILED]
        rest = Batch([], batch.errors + failed, batch.sessions, batch.incidents)
        try:
            extra += await self._write(rest)
        except RowsRejected as exc:
            log.error("%d error rows refused together (%s); storing them one by one",
                      len(rest.errors), exc)
            for r in rest.errors:
                await self._write_error(r)
            try:
                await self._write(Batch([], [], rest.sessions, rest.incidents))
            except RowsRejected as exc:
                # They belong to no message: a session's next event writes it again.
                log.error("%d session snapshots and %d incidents refused (%s)",
                          len(rest.sessions), len(rest.incidents), exc)
        return extra

    async def _write_error(self, row: ErrorRow) -> None:
        """Store one error row: as it is, else in its plainest form, else stall until the
        database takes that. Its message's offset waits, so it must never be dropped."""
        try:
            await self._write(Batch([], [row], {}, []))
            return
        except RowsRejected as exc:
            plain = rows.last_resort(row, str(exc))
        s = row.source
        where = f"{s.topic}[{s.partition}] offset={s.offset}"
        log.error("%s: %s row refused; storing it as %s with its raw payload", where,
                  row.reason, plain.reason)
        wait, stalled = backoff.delays(0.1, self._max_backoff), False
        while True:
            try:
                await self._write(Batch([], [plain], {}, []))
            except RowsRejected as exc:
                if not stalled:
                    log.error("%s: even the plainest error row is refused (%s); the sink stalls "
                              "until the database takes it", where, exc)
                    stalled = True
                await asyncio.sleep(next(wait))
                continue
            if stalled:
                log.warning("%s: error row stored; the sink goes on", where)
            return
