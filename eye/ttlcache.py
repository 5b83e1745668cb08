"""A small cache of answers that go stale: kept `ttl` seconds, the stale ones still readable."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Remembers answers for `ttl` seconds. A stale answer is still returned, marked stale, for
    callers that prefer it to none while the source is away. Past `max_entries` it forgets all
    at once, which bounds memory under a flood of distinct keys."""

    def __init__(self, ttl: float, *, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[V, float]] = {}

    def get(self, key: K) -> tuple[V, bool] | None:
        """(answer, fresh) for a key asked before, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        return entry[0], entry[1] > self._clock()

    def put(self, key: K, value: V) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (value, self._clock() + self._ttl)
