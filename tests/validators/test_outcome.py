from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime, timezone

import pytest

from validators import Event, Reason, Rejection


def test_reason_is_the_agreed_closed_set() -> None:
    assert [r.value for r in Reason] == [
        "malformed_json",
        "not_an_object",
        "missing_field",
        "invalid_field",
        "payload_too_large",
        "too_deep",
        "invalid_encoding",
        "unknown_event_type",
        "invalid_timestamp",
        "timestamp_in_future",
        "timestamp_too_old",
        "key_mismatch",
        "unreadable_batch",
        "unauthorized_app",
        "internal_error",
        "sink_failed",
        "duplicate_event",
    ]


def test_reason_values_are_snake_case_strings() -> None:
    for reason in Reason:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", reason)
        assert str(reason) == reason.value
        assert reason.name.lower() == reason.value


def test_event_is_frozen_with_slots() -> None:
    event = Event(
        session_id="s",
        category="c",
        name="n",
        data={},
        timestamp=datetime(2021, 1, 1, tzinfo=timezone.utc),
        event_id=uuid.uuid4(),
    )
    assert not hasattr(event, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "other"  # type: ignore[misc]


def test_rejection_is_frozen() -> None:
    rejection = Rejection(Reason.MISSING_FIELD, "data: required field missing")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rejection.detail = "x"  # type: ignore[misc]
