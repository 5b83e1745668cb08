"""The envelope every event shares: who, what, when, and the payload object."""

from __future__ import annotations

import re
import uuid
from typing import Any, NamedTuple

from validators.details import json_type
from validators.outcome import Reason, Rejection

MAX_ID_CHARS = 128

# uuid.UUID() also takes braces, "urn:uuid:", a "0x" prefix and "_" between digits; producers
# are held to the canonical 8-4-4-4-12 form so that one id has one spelling.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Envelope(NamedTuple):
    """Envelope fields that passed their checks; the timestamp is still raw."""

    session_id: str
    category: str
    name: str
    data: dict[str, Any]
    timestamp: object
    event_id: uuid.UUID | None


def read_envelope(doc: dict[str, Any]) -> Envelope | Rejection:
    """Check the envelope fields in a fixed order, so a message always gets the same detail.

    Top-level fields other than these are ignored: producers may add them before this service
    knows them, and rejecting would drop events from newer clients.
    """
    session_id = doc.get("session_id")
    category = doc.get("category")
    name = doc.get("name")
    data = doc.get("data")
    # One combined test for the common, valid case; the field-by-field walk below only runs
    # to explain a failure.
    if not (
        _is_id(session_id)
        and _is_id(category)
        and _is_id(name)
        and type(data) is dict
        and "timestamp" in doc
    ):
        return _explain(doc)
    event_id = _event_id(doc.get("event_id"))
    if isinstance(event_id, Rejection):
        return event_id
    return Envelope(session_id, category, name, data, doc["timestamp"], event_id)


def _is_id(value: object) -> bool:
    # Whitespace-only ids and names are as useless for grouping as empty ones.
    return type(value) is str and 0 < len(value) <= MAX_ID_CHARS and not value.isspace()


def _explain(doc: dict[str, Any]) -> Rejection:
    for field in ("session_id", "category", "name"):
        if field not in doc:
            return _missing(field)
        value = doc[field]
        if not isinstance(value, str):
            return _invalid(field, f"must be a string, got {json_type(value)}")
        if not value or value.isspace():
            return _invalid(field, "must not be empty")
        if len(value) > MAX_ID_CHARS:
            return _invalid(field, f"{len(value)} characters is more than the limit of {MAX_ID_CHARS}")
    if "data" not in doc:
        return _missing("data")
    if not isinstance(doc["data"], dict):
        return _invalid("data", f"must be an object, got {json_type(doc['data'])}")
    return _missing("timestamp")


def _event_id(value: object) -> uuid.UUID | None | Rejection:
    # Optional: absent and null both mean the producer did not assign one.
    if value is None:
        return None
    if not isinstance(value, str):
        return _invalid("event_id", f"must be a UUID string, got {json_type(value)}")
    if _UUID.fullmatch(value) is None:
        return _invalid("event_id", "must be a UUID in 8-4-4-4-12 hex form")
    return uuid.UUID(value)


def _missing(field: str) -> Rejection:
    return Rejection(Reason.MISSING_FIELD, f"{field}: required field missing")


def _invalid(field: str, rule: str) -> Rejection:
    return Rejection(Reason.INVALID_FIELD, f"{field}: {rule}")
