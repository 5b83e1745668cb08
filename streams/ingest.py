"""What the worker does with one message: check the app, validate, track the session, sink."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from monitor import worker_metrics as metrics
from store.rows import ErrorRow, EventRow, SessionRow
from streams import rows
from streams.apps import AppResolver
from streams.sessions import Session, already_applied, apply, rebuild
from streams.sink import BatchSink
from validators import Event, Policy, Reason, Rejection, validate

log = logging.getLogger(__name__)

Table = MutableMapping[bytes, bytes]


def key_mismatch(key: bytes | None, session_id: str) -> Rejection | None:
    """Session state lives with the partition the key chose: an event keyed otherwise could
    split its session between partitions and workers, so it is refused, never moved silently.
    (Once the producer is fixed, `eye replay --reason key_mismatch` stores these.)"""
    if key == session_id.encode():
        return None
    said = "no Kafka key" if key is None else \
        f"Kafka key {key[:80].decode('utf-8', 'replace')!r}"
    return Rejection(Reason.KEY_MISMATCH, f"{said}, but session_id {session_id!r}: the key "
                     "must be the session id, so a session's events share one partition")


class Ingest:
    """The per-message logic, apart from Faust's wiring so it reads top to bottom.

    `sessions` (session id -> Session bytes) and `seen_ids` (client event id -> where it was
    first read) are the worker's Faust tables; they must be written while the message being
    handled is Faust's current event, which is how the agent calls `handle`.
    """

    def __init__(self, *, policy: Policy, apps: AppResolver, sink: BatchSink,
                 sessions: Table, seen_ids: Table) -> None:
        self.policy = policy
        self.apps = apps
        self.sink = sink
        self.sessions = sessions
        self.seen_ids = seen_ids

    async def handle(self, message: Any, token: Any) -> None:
        """Turn one Kafka message into exactly one row for the sink, which releases `token`
        once the row is stored."""
        metrics.observe_received()
        headers = list(message.headers.items() if isinstance(message.headers, dict)
                       else message.headers or [])
        app_key = next((v for k, v in headers if k == rows.APP_KEY_HEADER), None)
        src = rows.source(topic=message.topic, partition=message.partition,
                          offset=message.offset, payload=message.value, headers=headers,
                          received_at=datetime.now(UTC), kafka_timestamp=message.timestamp)
        app_id: int | None = None
        session: SessionRow | None = None
        row: EventRow | ErrorRow
        try:
            # Waits while the database is away; any other failure is this message's, below.
            app_id = await self.apps.resolve(app_key)
            outcome = self.judge(message.value, app_key, app_id, src.received_at,
                                 message.partition, message.offset, message.key)
            if isinstance(outcome, Event):
                session = self.track(outcome, app_id, message.partition, message.offset)
                row = rows.event_row(outcome, src, app_id)
            else:
                row = rows.error_row(outcome, src, app_id, app_key)
        except Exception as exc:  # one message's surprise must not stop its partition
            log.exception("%s[%d] offset=%d: unexpected failure", message.topic,
                          message.partition, message.offset)
            row = rows.error_row(Rejection(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"),
                                 src, app_id, app_key)
        await self.sink.add(row, token, session)

    async def set_aside(self, message: Any, token: Any, why: str) -> None:
        """One message of a batch the consumer could not read, kept as an error row with the
        bytes another client read (or none)."""
        metrics.observe_received()
        headers = list(message.headers or [])
        app_key = next((v for k, v in headers if k == rows.APP_KEY_HEADER), None)
        src = rows.source(topic=message.topic, partition=message.partition,
                          offset=message.offset, payload=message.value, headers=headers,
                          received_at=datetime.now(UTC), kafka_timestamp=message.timestamp)
        read = "as librdkafka read it" if message.value is not None else "unreadable by " \
            "librdkafka too; the raw batch is in the broker's log segment"
        if getattr(message, "headers_unreadable", False):
            read += "; its header names are not UTF-8, so its headers (and app key) are lost"
        detail = f"set aside from an unreadable record batch ({why}); payload {read}"
        # The key's hash lets `eye replay` move the ones that are valid events into `events`.
        await self.sink.add(rows.error_row(Rejection(Reason.UNREADABLE_BATCH, detail), src,
                                           None, app_key), token)

    def judge(self, value: bytes | None, app_key: bytes | None, app_id: int | None,
              received_at: datetime, partition: int, offset: int,
              key: bytes | None = None) -> Event | Rejection:
        if app_id is None:
            why = "missing" if not app_key else "unknown or revoked key"
            return Rejection(Reason.UNAUTHORIZED_APP, f"header {rows.APP_KEY_HEADER}: {why}")
        outcome = validate(value, received_at=received_at, policy=self.policy)
        if isinstance(outcome, Event):
            mismatch = key_mismatch(key, outcome.session_id)
            if mismatch is not None:
                return mismatch
            elsewhere = self.first_read_elsewhere(outcome, partition, offset)
            if elsewhere is not None:
                return Rejection(Reason.DUPLICATE_EVENT, f"event_id {outcome.event_id}: already "
                                 f"read at partition:offset {elsewhere}")
        return outcome

    def first_read_elsewhere(self, event: Event, partition: int, offset: int) -> str | None:
        """Where this client event id was read before, if not here; remembers it otherwise."""
        if event.event_id is None:
            return None  # a derived id is unique to its place by construction
        key = event.event_id.bytes
        here = f"{partition}:{offset}".encode()
        before = self.seen_ids.get(key)
        if before is None:
            self.seen_ids[key] = here
            return None
        return None if before == here else before.decode()

    def track(self, event: Event, app_id: int | None, partition: int, offset: int) -> SessionRow:
        key = event.session_id.encode()
        raw = self.sessions.get(key)
        state = Session.from_bytes(raw) if raw is not None else None
        if state is None or not already_applied(state, partition, offset):
            state = apply(state, event, application_id=app_id, partition=partition,
                          offset=offset)
            self.sessions[key] = state.to_bytes()
        return rows.session_row(state)

    def forget(self, session_id: str) -> None:
        self.sessions.pop(session_id.encode(), None)

    async def rebuild(self, session_id: str, stored: list[Any]) -> None:
        """Replace a session's state with one rebuilt from its stored events."""
        state = rebuild(session_id, stored)
        if state is not None:
            self.sessions[session_id.encode()] = state.to_bytes()
            await self.sink.add_session(rows.session_row(state))
