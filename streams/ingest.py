"""What the worker does with a batch of messages: check the app, validate, drop duplicates, track
sessions, sink."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from kafka_edge.clients import APP_KEY_HEADER
from store import secrets
from store.recall import Recall
from store.rows import ErrorRow, EventRow, Source
from streams import metrics
from streams import to_rows as rows
from streams.app_resolver import AppResolver
from streams.local_state import LocalTable
from streams.sessions import Session, already_applied, apply, rebuild
from streams.sink import BatchSink
from validators import Event, Policy, Reason, Rejection, validate

log = logging.getLogger(__name__)


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


def _headers(message: Any) -> list[tuple[str, bytes | None]]:
    h = message.headers
    return list(h.items() if isinstance(h, dict) else h or [])


def _app_key(message: Any) -> bytes | None:
    h = message.headers
    if isinstance(h, dict):
        return h.get(APP_KEY_HEADER)  # type: ignore[no-any-return]
    return next((v for k, v in h or () if k == APP_KEY_HEADER), None)


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where a state is kept in the local store: by its partition, as a message would say."""

    partition: int


@dataclass(slots=True)
class _Judged:
    """One message of a batch, and what the checks that need no state made of it."""

    message: Any
    token: Any
    src: Source
    app_key: bytes | None
    app_id: int | None
    outcome: Event | Rejection


class Ingest:
    """The worker's logic for a batch of messages, apart from Faust's wiring so it reads top to
    bottom: check the app, validate, drop duplicates, track sessions, hand rows to the sink.

    Per message it does only the checks and the session arithmetic; what needs the database is
    asked once per batch: where client event ids were first read (`event_ids`), and the stored
    state of the sessions this worker has not checked since it took their partition. The
    `sessions` Faust table is written in its local store only (streams/local_state.py).
    """

    def __init__(self, *, policy: Policy, apps: AppResolver, sink: BatchSink,
                 sessions: Any, recall: Recall, max_remembered: int = 100_000,
                 max_states: int = 32_768) -> None:
        self.policy = policy
        self.apps = apps
        self.sink = sink
        self.sessions = sessions
        self.local = LocalTable(sessions)
        self.recall = recall
        self._max = max_remembered
        # Client event id (as its int: a UUID compares in Python code, an int in C) ->
        # (partition, offset) where it was first read: recent ones, and those of batches still
        # being stored, which the database does not know yet.
        self._first_reads: OrderedDict[int, tuple[int, int]] = OrderedDict()
        # (partition, session id) -> the generation in which its local state was checked
        # against the stored one; another worker may have moved it on in between.
        self._checked: OrderedDict[tuple[int, str], int] = OrderedDict()
        # (partition, session id) -> its latest state, in front of the local store: the
        # sessions of a busy stream come back within seconds, and reading and decoding their
        # state again was a tenth of the worker's time. A state goes to the store only when
        # it leaves this cache, as in Kafka Streams' record cache: encoding and writing each
        # touched session per batch was another tenth. What a crash loses here the database
        # has: a session is checked against its stored state once per generation.
        # Bounded: 32,768 states are ~26 MB.
        self._states: OrderedDict[tuple[int, str], Session] = OrderedDict()
        self._max_states = max_states
        # Cached sessions the local store has no entry for yet (new, or taken from the
        # database): the session gauge counts them beside the store's keys.
        self._unstored: set[tuple[int, str]] = set()

    async def handle(self, message: Any, token: Any) -> None:
        await self.handle_batch([(message, token)])

    async def handle_batch(self, items: list[tuple[Any, Any]]) -> None:
        """Turn each message into exactly one row for the sink, in order; the sink releases
        each token once its row is stored."""
        metrics.observe_received(len(items))
        received_at = datetime.now(UTC)
        keys = [_app_key(message) for message, _ in items]
        apps = await self._resolve_apps(keys)
        judged = [self._judge(message, token, key, received_at, apps)
                  for (message, token), key in zip(items, keys)]
        # What the database must tell, asked in one round trip: client ids not remembered here,
        # and sessions not checked against their stored state in this generation.
        events = [j for j in judged if isinstance(j.outcome, Event)]
        unknown_ids = list({eid for j in events
                            if (eid := j.outcome.event_id) is not None  # type: ignore[union-attr]
                            and eid.int not in self._first_reads})
        states, placed, unchecked = self._local_states(events)
        first_reads, stored = await self.recall.both(unknown_ids, list(unchecked))
        self._drop_duplicates(events, first_reads)
        self._take_stored(states, unchecked, stored)
        held = []
        for j in judged:
            session: Session | None = None
            row: EventRow | ErrorRow
            try:
                if isinstance(j.outcome, Event):
                    self._track(j, states)
                    # Each event carries its session as it stands after it: the sink may store
                    # the batch's rows in two transactions, and each must hold its sessions.
                    session = states[j.outcome.session_id]
                    row = rows.event_row(j.outcome, j.src, j.app_id)
                else:
                    row = rows.error_row(j.outcome, j.src, j.app_id, j.app_key)
            except Exception as exc:  # one message's surprise must not stop its partition
                row = self._internal_error(j, exc)
            held.append((row, j.token, session))
        await self.sink.add_all(held)
        # Every state the batch met is cached, not only those its events moved: one taken from
        # the database for a session whose only event here was a duplicate is the session's
        # state from now on, and the database is not asked again in this generation.
        evicted = []
        for sid, state in states.items():
            if state is not None:
                evicted += self._remember_state((placed[sid], sid), state)
            else:
                self._unstored.discard((placed[sid], sid))
        if evicted:
            self.local.put_many(evicted)

    async def _resolve_apps(self, keys: list[bytes | None]
                            ) -> dict[bytes | None, int | None | Exception]:
        """Each app key of the batch resolved once: its application id, None when unknown, or
        the failure, which becomes an internal error of that key's messages."""
        apps: dict[bytes | None, int | None | Exception] = {}
        for key in keys:
            if key in apps:
                continue
            try:
                # Waits while the database is away; any other failure is the messages', below.
                apps[key] = await self.apps.resolve(key)
            except Exception as exc:
                apps[key] = exc
        return apps

    def _judge(self, message: Any, token: Any, app_key: bytes | None, received_at: datetime,
               apps: dict[bytes | None, int | None | Exception]) -> _Judged:
        headers = _headers(message)
        src = rows.source(topic=message.topic, partition=message.partition,
                          offset=message.offset, payload=message.value, headers=headers,
                          received_at=received_at, kafka_timestamp=message.timestamp)
        j = _Judged(message, token, src, app_key, None, Rejection(Reason.INTERNAL_ERROR, ""))
        try:
            app_id = apps[app_key]
            if isinstance(app_id, Exception):
                raise app_id
            j.app_id = app_id
            j.outcome = self.judge(message.value, app_key, j.app_id, received_at, message.key)
        except Exception as exc:  # one message's surprise must not stop its partition
            log.error("%s[%d] offset=%d: unexpected failure", message.topic, message.partition,
                      message.offset, exc_info=exc)
            j.outcome = Rejection(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        return j

    def _internal_error(self, j: _Judged, exc: Exception) -> ErrorRow:
        log.exception("%s[%d] offset=%d: unexpected failure", j.src.topic, j.src.partition,
                      j.src.offset)
        return rows.error_row(Rejection(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"),
                              j.src, j.app_id, j.app_key)

    async def set_aside(self, message: Any, token: Any, why: str) -> None:
        """One message of a batch the consumer could not read, kept as an error row with the
        bytes another client read (or none)."""
        metrics.observe_received()
        headers = _headers(message)
        app_key = _app_key(message)
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
              received_at: datetime, key: bytes | None = None) -> Event | Rejection:
        """What needs no state: the app, the message, its key."""
        if app_id is None:
            why = "missing" if not app_key else \
                secrets.wrong_kind(app_key, "app key") or "unknown or revoked key"
            return Rejection(Reason.UNAUTHORIZED_APP, f"header {APP_KEY_HEADER}: {why}")
        outcome = validate(value, received_at=received_at, policy=self.policy)
        if isinstance(outcome, Event):
            return key_mismatch(key, outcome.session_id) or outcome
        return outcome

    def _drop_duplicates(self, events: list[_Judged],
                         stored: dict[UUID, tuple[int, int]]) -> None:
        """An event whose client id was first read from another message is a duplicate."""
        recalled = {eid.int: where for eid, where in stored.items()}
        for j in events:
            eid = j.outcome.event_id  # type: ignore[union-attr]
            if eid is None:
                continue  # a derived id is unique to its place by construction
            here = (j.src.partition, j.src.offset)
            first = self._first_reads.get(eid.int) or recalled.get(eid.int)
            if first is None or first == here:
                self._remember(self._first_reads, eid.int, first or here)
            else:
                self._remember(self._first_reads, eid.int, first)
                j.outcome = Rejection(Reason.DUPLICATE_EVENT, f"event_id {eid}: already read "
                                      f"at partition:offset {first[0]}:{first[1]}")

    def _local_states(self, events: list[_Judged]) -> tuple[
            dict[str, Session | None], dict[str, int], dict[str, tuple[int, int]]]:
        """Each session's local state, its partition, and the sessions not checked against the
        stored state in this generation: session id -> (partition, generation)."""
        states: dict[str, Session | None] = {}
        placed: dict[str, int] = {}
        unchecked: dict[str, tuple[int, int]] = {}
        for j in events:
            sid = j.outcome.session_id  # type: ignore[union-attr]
            if sid in states:
                continue
            p = j.src.partition
            state = self._states.get((p, sid))
            if state is None:
                raw = self.local.get(sid.encode(), j.message)
                if raw is None:
                    self._unstored.add((p, sid))
                state = Session.from_bytes(raw) if raw is not None else None
            states[sid], placed[sid] = state, p
            generation = getattr(j.token, "generation", 0)
            if self._checked.get((p, sid)) != generation:
                unchecked[sid] = (p, generation)
        return states, placed, unchecked

    def _take_stored(self, states: dict[str, Session | None],
                     unchecked: dict[str, tuple[int, int]], stored: dict[str, bytes]) -> None:
        """The stored state where it is further on than the local one: another worker moved
        the session on since this one last held its partition."""
        for sid, (p, generation) in unchecked.items():
            raw = stored.get(sid)
            if raw is not None:
                theirs, ours = Session.from_bytes(raw), states[sid]
                if ours is None or ours.partition != theirs.partition or \
                        ours.offset < theirs.offset:
                    states[sid] = theirs
            self._remember(self._checked, (p, sid), generation)

    def _track(self, j: _Judged, states: dict[str, Session | None]) -> None:
        event: Event = j.outcome  # type: ignore[assignment]
        state = states[event.session_id]
        p, o = j.src.partition, j.src.offset
        if state is None or not already_applied(state, p, o):
            states[event.session_id] = apply(state, event, application_id=j.app_id,
                                             partition=p, offset=o)

    def _remember(self, lru: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        lru[key] = value
        lru.move_to_end(key)
        if len(lru) > self._max:
            lru.popitem(last=False)

    def _remember_state(self, key: tuple[int, str], state: Session
                        ) -> list[tuple[bytes, bytes, Any]]:
        """Cache `state`; what the cache lets go, as (key, value, where) for the local store."""
        self._states[key] = state
        self._states.move_to_end(key)
        evicted = []
        while len(self._states) > self._max_states:
            (partition, sid), old = self._states.popitem(last=False)
            self._unstored.discard((partition, sid))
            evicted.append((sid.encode(), old.to_bytes(), _Placed(partition)))
        return evicted

    @property
    def unstored(self) -> int:
        """Sessions held in the cache only, not yet in the local store."""
        return len(self._unstored)

    def forget(self, session_id: str) -> None:
        self.sessions.pop(session_id.encode(), None)
        for key in [k for k in self._states if k[1] == session_id]:
            del self._states[key]
            self._unstored.discard(key)
        for key in [k for k in self._checked if k[1] == session_id]:
            del self._checked[key]

    async def rebuild(self, session_id: str, stored: list[Any]) -> None:
        """Replace a session's state with one rebuilt from its stored events."""
        state = rebuild(session_id, stored)
        for key in [k for k in self._states if k[1] == session_id]:
            del self._states[key]
            self._unstored.discard(key)
        if state is not None:
            self.sessions[session_id.encode()] = state.to_bytes()
            await self.sink.add_session(rows.session_row(state))
