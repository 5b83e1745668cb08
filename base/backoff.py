"""Waits between attempts at something that is away for now (a database, a broker)."""

from __future__ import annotations

from collections.abc import Iterator


def delays(first: float, cap: float) -> Iterator[float]:
    """Seconds to wait before each retry: doubling from `first`, never above `cap`. Endless:
    the caller decides when to stop trying."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)
