"""Event timestamps: parse ISO 8601, normalise to UTC, and bound clock skew and age."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from validators.details import json_type, quoted
from validators.outcome import Reason, Rejection

# datetime.fromisoformat alone accepts too much (any character between date and time, a date
# with no time, week dates), so the shape is fixed first: a calendar date, "T" or a space (the
# seed data uses a space), hh:mm[:ss[.fraction]], and an optional "Z" or numeric offset.
# Ranges (month 13, hour 24, year 0) are left to fromisoformat.
_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]"
    r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def parse_timestamp(raw: object) -> datetime | Rejection:
    """A timezone-aware UTC datetime, or why the value is not one.

    Numbers are refused rather than read as epoch time: seconds and milliseconds cannot be told
    apart reliably, and a wrong guess silently moves an event by decades.
    """
    if not isinstance(raw, str):
        return _invalid(f"must be an ISO 8601 date-time string, got {json_type(raw)}")
    if _SHAPE.fullmatch(raw) is None:
        return _invalid(f"{quoted(raw)} is not an ISO 8601 date-time such as 2021-01-01T09:15:27Z")
    try:
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            # Without an offset the producer means UTC (the seed data is written this way).
            return parsed.replace(tzinfo=timezone.utc)
        # An offset can push an edge date past year 1 or 9999, which raises OverflowError.
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        return _invalid(f"{quoted(raw)} is out of range ({exc})")


def in_future(timestamp: datetime, received_at: datetime, max_skew: timedelta) -> Rejection | None:
    """Reject timestamps further ahead of receipt than clocks plausibly drift."""
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    ahead = timestamp - received_at
    if ahead > max_skew:
        return Rejection(
            Reason.TIMESTAMP_IN_FUTURE,
            f"timestamp: {_seconds(ahead)}s ahead of receipt, more than the allowed {_seconds(max_skew)}s",
        )
    return None


def too_old(timestamp: datetime, received_at: datetime, max_age: timedelta) -> Rejection | None:
    """Reject timestamps further behind receipt than buffering or an import of old data explains.

    Such values are sentinels (year 1 is the zero time of Go and .NET, 1970 an epoch of 0), and
    each month they name would otherwise get a partition of its own.
    """
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    behind = received_at - timestamp
    if behind > max_age:
        return Rejection(
            Reason.TIMESTAMP_TOO_OLD,
            f"timestamp: {_days(behind)} days before receipt, more than the allowed {_days(max_age)} days",
        )
    return None


def _days(delta: timedelta) -> str:
    return f"{delta / timedelta(days=1):.6f}".rstrip("0").rstrip(".")


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():.6f}".rstrip("0").rstrip(".")


def _invalid(rule: str) -> Rejection:
    return Rejection(Reason.INVALID_TIMESTAMP, f"timestamp: {rule}")
