"""What validation returns: an Event to store, or a Rejection with a closed-set Reason."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why a message was not stored; values are stable codes for metrics and dead-letter rows."""

    MALFORMED_JSON = "malformed_json"
    """The value is empty (including a Kafka tombstone) or is not valid JSON."""

    NOT_AN_OBJECT = "not_an_object"
    """The value is valid JSON but its top level is not an object."""

    MISSING_FIELD = "missing_field"
    """A required envelope or payload field is absent."""

    INVALID_FIELD = "invalid_field"
    """A field has the wrong type or breaks a rule, or any text contains \\u0000."""

    PAYLOAD_TOO_LARGE = "payload_too_large"
    """The value is longer than Policy.max_message_bytes; it was not parsed."""

    TOO_DEEP = "too_deep"
    """Objects and arrays nest deeper than Policy.max_depth."""

    INVALID_ENCODING = "invalid_encoding"
    """The value is not UTF-8."""

    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    """No event type is registered for (category, name) and the policy rejects unknown types."""

    INVALID_TIMESTAMP = "invalid_timestamp"
    """The timestamp is not an ISO 8601 date-time string, or is out of range."""

    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    """The timestamp is further ahead of the receive time than Policy.max_clock_skew."""

    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    """The timestamp is further behind the receive time than Policy.max_event_age."""

    KEY_MISMATCH = "key_mismatch"
    """Produced by the worker: the Kafka key is missing or is not the event's session_id, so
    the session's events could be split between partitions (and workers)."""

    UNREADABLE_BATCH = "unreadable_batch"
    """Produced by the worker: the message was in a record batch the consumer could not read
    (corrupt, an unknown codec, a header name that is not UTF-8); the payload is as librdkafka
    read it, or null when it could not."""

    UNAUTHORIZED_APP = "unauthorized_app"
    """Produced by the worker: the message's app credentials were not accepted."""

    INTERNAL_ERROR = "internal_error"
    """Produced by the worker on an unexpected error; validate() returns it only if it has a bug."""

    SINK_FAILED = "sink_failed"
    """Produced by the worker: a valid event could not be written to PostgreSQL."""

    DUPLICATE_EVENT = "duplicate_event"
    """Produced by the worker: an event with this event_id was read before from another message."""


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event, ready to store."""

    session_id: str
    category: str
    name: str
    data: dict[str, Any]
    timestamp: datetime
    """Timezone-aware, always UTC."""
    event_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that will not be stored, and why."""

    reason: Reason
    detail: str
    """Names the field and the rule, e.g. "data.path: required field missing (page interaction/pageview)"."""
