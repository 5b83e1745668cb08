"""Raw Kafka message value in, Event or Rejection out; composes the individual checks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from validators import limits
from validators.details import json_type, quoted
from validators.envelope import read_envelope
from validators.outcome import Event, Reason, Rejection
from validators.payload import check_payload
from validators.policy import Policy
from validators.registry import registry
from validators.timestamps import in_future, parse_timestamp, too_old

log = logging.getLogger(__name__)


def validate(value: bytes | None, *, received_at: datetime, policy: Policy) -> Event | Rejection:
    """Validate one message value. Never raises: every input yields an Event or a Rejection.

    received_at is when the worker got the message; a naive value is taken as UTC.
    """
    try:
        return _validate(value, received_at, policy)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the partition
        # Logged here because only here is the traceback, and a bug without one is hard to
        # find. Logging keeps validate() pure where it matters: the outcome depends on the input
        # alone, and where the line goes is the process's choice, not ours.
        log.exception("validator failed on a message of %d bytes",
                      len(value) if value is not None else 0)
        return Rejection(Reason.INTERNAL_ERROR, f"value: validator failed ({type(exc).__name__})")


def _validate(value: bytes | None, received_at: datetime, policy: Policy) -> Event | Rejection:
    # A tombstone has no document at all, like an empty value.
    if not value:
        return Rejection(Reason.MALFORMED_JSON, "value: empty message (or a tombstone), expected a JSON object")
    rejection = limits.too_large(value, policy.max_message_bytes)
    if rejection is not None:
        return rejection
    try:
        doc: Any = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return limits.parse_failure(value, exc, policy.max_depth)
    rejection = limits.too_deep(value, doc, policy.max_depth)
    if rejection is not None:
        return rejection
    if not isinstance(doc, dict):
        return Rejection(Reason.NOT_AN_OBJECT, f"value: expected a JSON object, got {json_type(doc)}")
    rejection = limits.nul_character(value, doc)
    if rejection is not None:
        return rejection

    envelope = read_envelope(doc)
    if isinstance(envelope, Rejection):
        return envelope
    timestamp = parse_timestamp(envelope.timestamp)
    if isinstance(timestamp, Rejection):
        return timestamp
    rejection = in_future(timestamp, received_at, policy.max_clock_skew)
    if rejection is not None:
        return rejection
    rejection = too_old(timestamp, received_at, policy.max_event_age)
    if rejection is not None:
        return rejection

    event_type = registry.get(envelope.category, envelope.name)
    if event_type is not None:
        rejection = check_payload(event_type, envelope.data)
        if rejection is not None:
            return rejection
    elif policy.unknown_event_types == "reject":
        return Rejection(
            Reason.UNKNOWN_EVENT_TYPE,
            f"category/name: no event type {quoted(envelope.category)}/{quoted(envelope.name)} is registered",
        )

    return Event(
        session_id=envelope.session_id,
        category=envelope.category,
        name=envelope.name,
        data=envelope.data,
        timestamp=timestamp,
        event_id=envelope.event_id,
    )
