"""Turn one Kafka message and what the worker made of it into the rows the store keeps."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid5

import orjson

from kafka_edge.clients import APP_KEY_HEADER
from store.applications import key_hash
from store.rows import ErrorRow, EventRow, SessionRow, Source
from streams.sessions import Session
from validators import Event, Reason, Rejection

# Fixed namespace: the id of an event without `event_id` depends only on where it was read.
_ID_NAMESPACE = UUID("6f1c1a52-3d7e-4a2e-9a51-1b0c7e5e0e11")


def derived_id(topic: str, partition: int, offset: int) -> UUID:
    return uuid5(_ID_NAMESPACE, f"{topic}/{partition}/{offset}")


def _text(name: str | bytes) -> str:
    """A header name as JSON can hold it: clients may send any bytes."""
    raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def kept_headers(headers: Iterable[tuple[str, bytes | None]]) -> str:
    """Headers as JSON text, without the app key: the errors table must never hold a secret."""
    kept = {}
    for k, v in headers:
        if k == APP_KEY_HEADER:  # what the SDK sends: no need to decode the name to know it
            continue
        name = _text(k)
        if name.lower() != APP_KEY_HEADER:
            kept[name] = (v or b"").decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return orjson.dumps(kept).decode() if kept else "{}"


def source(*, topic: str, partition: int, offset: int, payload: bytes | None,
           headers: Iterable[tuple[str, bytes | None]], received_at: datetime,
           kafka_timestamp: float | None = None) -> Source:
    return Source(topic, partition, offset, payload, kept_headers(headers), received_at,
                  kafka_timestamp)


def event_row(event: Event, src: Source, application_id: int | None) -> EventRow:
    return EventRow(
        id=event.event_id or derived_id(src.topic, src.partition, src.offset),
        session_id=event.session_id,
        category=event.category,
        name=event.name,
        data=orjson.dumps(event.data).decode(),
        timestamp=event.timestamp,
        application_id=application_id,
        source=src,
        client_id=event.event_id is not None,
    )


def error_row(rejection: Rejection, src: Source, application_id: int | None,
              app_key: bytes | None = None) -> ErrorRow:
    if app_key:  # its hash lets `eye replay` judge the key again; the key itself is not kept
        src = replace(src, app_key_hash=key_hash(app_key))
    # Postgres text cannot hold NUL; a detail may quote the input.
    return ErrorRow(str(rejection.reason), rejection.detail.replace("\x00", "\\x00"),
                    application_id, src)


def session_row(s: Session) -> SessionRow:
    return SessionRow(s.session_id, s.application_id, s.first_seen, s.last_seen,
                      s.duration_seconds, s.event_count, s.pageviews, s.entry_page, s.exit_page,
                      s.bounce, s.to_bytes())


# Base64 grows a payload by a third: past this, the dead letter would pass the producer's 1 MB
# request limit. The errors row keeps every byte; the letter then says how many it left out.
DEAD_LETTER_MAX_PAYLOAD = 512 * 1024


def dead_letter(row: ErrorRow) -> bytes:
    """The dead-letter record of a rejected message: its errors row, the payload in base64
    (left out, with its size, when it is too large for one record)."""
    s = row.source
    big = s.payload is not None and len(s.payload) > DEAD_LETTER_MAX_PAYLOAD
    return orjson.dumps({
        "reason": row.reason, "detail": row.detail,
        "payload_base64": base64.b64encode(s.payload).decode()
        if s.payload is not None and not big else None,
        **({"payload_omitted_bytes": len(s.payload)} if big and s.payload else {}),
        "headers": orjson.loads(s.headers), "topic": s.topic, "partition": s.partition,
        "offset": s.offset, "received_at": s.received_at, "application_id": row.application_id,
    })


def last_resort(row: ErrorRow, why: str) -> ErrorRow:
    """An error row the database refused, in a form it cannot refuse: reason `sink_failed`, the
    raw payload (bytea takes any bytes), no headers, and a detail that keeps the original reason
    and the refusal, made plain text (no NUL, no lone surrogates). Ids, offsets and times are
    kept: nothing in them can be refused."""
    detail = f"{row.reason}: {row.detail} (refused: {why})"
    detail = detail.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
    return ErrorRow(str(Reason.SINK_FAILED), detail, row.application_id,
                    replace(row.source, headers="{}"))
