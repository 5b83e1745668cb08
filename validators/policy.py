"""Limits that validation enforces, built once by the caller from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

UnknownEventTypes = Literal["accept", "reject"]


@dataclass(frozen=True, slots=True)
class Policy:
    """Limits for validate(); the defaults are safe for a public collector."""

    max_message_bytes: int = 65536
    max_depth: int = 32
    max_clock_skew: timedelta = timedelta(seconds=60)
    # About 30 years, as EYE_MAX_EVENT_AGE (base/settings.py says why).
    max_event_age: timedelta = timedelta(days=10958)
    unknown_event_types: UnknownEventTypes = "accept"

    def __post_init__(self) -> None:
        # A bad setting should stop the worker at start-up, not reject every event later.
        if self.max_message_bytes < 1:
            raise ValueError("max_message_bytes must be at least 1")
        # Depth 2 is the least that fits an envelope holding a data object.
        if self.max_depth < 2:
            raise ValueError("max_depth must be at least 2")
        if self.max_clock_skew < timedelta(0):
            raise ValueError("max_clock_skew must not be negative")
        if self.max_event_age <= timedelta(0):
            raise ValueError("max_event_age must be positive")
        if self.unknown_event_types not in ("accept", "reject"):
            raise ValueError("unknown_event_types must be 'accept' or 'reject'")
