from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from validators import Policy


def test_defaults() -> None:
    policy = Policy()
    assert policy.max_message_bytes == 65536
    assert policy.max_depth == 32
    assert policy.max_clock_skew == timedelta(seconds=60)
    assert policy.max_event_age == timedelta(days=10958)
    assert policy.unknown_event_types == "accept"


def test_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Policy().max_depth = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_message_bytes": 0},
        {"max_depth": 1},
        {"max_clock_skew": timedelta(seconds=-1)},
        {"max_event_age": timedelta(0)},
        {"max_event_age": timedelta(seconds=-1)},
        {"unknown_event_types": "maybe"},
    ],
)
def test_rejects_settings_that_cannot_work(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Policy(**kwargs)
