"""Turn one Kafka message and its validation outcome into the row the store keeps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID, uuid5

import orjson

from store.rows import ErrorRow, EventRow
from validators import Event, Rejection

APP_KEY_HEADER = "eye-app-key"

# Fixed namespace: the id of an event without `event_id` depends only on where it was read.
_ID_NAMESPACE = UUID("6f1c1a52-3d7e-4a2e-9a51-1b0c7e5e0e11")


def derived_id(topic: str, partition: int, offset: int) -> UUID:
    return uuid5(_ID_NAMESPACE, f"{topic}/{partition}/{offset}")


def event_row(event: Event, *, topic: str, partition: int, offset: int,
              application_id: int | None, received_at: datetime) -> EventRow:
    return EventRow(
        id=event.event_id or derived_id(topic, partition, offset),
        session_id=event.session_id,
        category=event.category,
        name=event.name,
        data=orjson.dumps(event.data).decode(),
        timestamp=event.timestamp,
        application_id=application_id,
        received_at=received_at,
    )


def kept_headers(headers: Iterable[tuple[str, bytes | None]]) -> str:
    """Headers as JSON text, without the app key: the errors table must never hold a secret."""
    kept = {k: (v or b"").decode("utf-8", "backslashreplace")
            for k, v in headers if k.lower() != APP_KEY_HEADER}
    return orjson.dumps(kept).decode()


def error_row(rejection: Rejection, *, payload: bytes | None,
              headers: Iterable[tuple[str, bytes | None]], topic: str, partition: int,
              offset: int, application_id: int | None, received_at: datetime) -> ErrorRow:
    return ErrorRow(
        reason=str(rejection.reason),
        detail=rejection.detail,
        payload=payload,
        headers=kept_headers(headers),
        topic=topic,
        partition=partition,
        offset=offset,
        received_at=received_at,
        application_id=application_id,
    )
