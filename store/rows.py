"""The rows the worker hands to the store: plain records, no database types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message was read, and its bytes as received."""

    topic: str
    partition: int
    offset: int
    payload: bytes | None
    headers: str  # JSON text of the headers kept (never the app key)
    received_at: datetime
    kafka_timestamp: float | None = None  # the record's time, seconds since the epoch
    app_key_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class EventRow:
    id: UUID
    session_id: str
    category: str
    name: str
    data: str  # JSON text, serialised once by the worker
    timestamp: datetime
    application_id: int | None
    source: Source
    # The id came from the client (`event_id`), so another message may carry it too; a derived
    # id is unique to where the message was read.
    client_id: bool = False


@dataclass(frozen=True, slots=True)
class ErrorRow:
    reason: str
    detail: str
    application_id: int | None
    source: Source


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_id: str
    application_id: int | None
    first_seen: datetime
    last_seen: datetime
    duration_seconds: float
    event_count: int
    pageviews: int
    entry_page: str | None
    exit_page: str | None
    bounce: bool
    state: bytes | None = None  # the worker's whole state, where a new owner picks it up


@dataclass(frozen=True, slots=True)
class Incident:
    kind: str
    detail: str
    started_at: datetime
    ended_at: datetime
    attempts: int


@dataclass
class Batch:
    """Everything one transaction stores."""

    events: list[EventRow]
    errors: list[ErrorRow]
    sessions: dict[str, SessionRow]
    incidents: list[Incident]

    @classmethod
    def empty(cls) -> Batch:
        return cls([], [], {}, [])

    def __len__(self) -> int:
        return len(self.events) + len(self.errors)
