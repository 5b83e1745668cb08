"""Argument types the commands share: each refuses a bad value with a sentence that says what
would be right, which argparse prints on one line."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def duration(text: str) -> timedelta | None:
    """'90s', '15m', '2h', '1d12h', '1w' as a timedelta; None when `text` is not one."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        return None
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def since(text: str, *, now: datetime | None = None) -> datetime:
    """An instant: ISO 8601 (a time without a zone is UTC) or a duration back from now."""
    back = duration(text)
    if back is not None:
        return (now or datetime.now(UTC)) - back
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an ISO time (2024-05-01, 2024-05-01T12:00:00Z) nor a duration "
            "back from now (90s, 15m, 2h, 1d, 1w)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def reason(text: str) -> str:
    """One of the rejection reasons the worker gives."""
    from validators import Reason

    known = [r.value for r in Reason]
    if text in known:
        return text
    close = [r for r in known if _similar(text, r)]
    hint = f"; did you mean {close[0]}?" if close else ""
    raise argparse.ArgumentTypeError(f"{text!r} is not a rejection reason{hint} "
                                     f"(one of: {', '.join(known)})")


def name(text: str) -> str:
    """A name for an application or a token: not blank, no surrounding spaces kept."""
    stripped = text.strip()
    if not stripped:
        raise argparse.ArgumentTypeError("a name cannot be blank")
    if any(not c.isprintable() for c in stripped):
        raise argparse.ArgumentTypeError(f"{text!r} holds control characters")
    return stripped


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def partition(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a partition number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"partitions are numbered from 0, got {value}")
    return value


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8
