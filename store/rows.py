"""The rows the worker hands to the store: plain records, no database types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class EventRow:
    id: UUID
    session_id: str
    category: str
    name: str
    data: str  # JSON text, serialised once by the worker
    timestamp: datetime
    application_id: int | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ErrorRow:
    reason: str
    detail: str
    payload: bytes | None
    headers: str  # JSON text of the headers kept (never the app key)
    topic: str
    partition: int
    offset: int
    received_at: datetime
    application_id: int | None
