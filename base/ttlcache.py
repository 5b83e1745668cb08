"""A small cache of answers that go stale: kept `ttl` seconds, the stale ones still readable."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Remembers answers for `ttl` seconds. A stale answer is still returned, marked stale, for
    callers that prefer it to none while the source is away. Past `max_entries` it forgets the
    least recently used key, one at a time: a flood of new keys pushes out only the keys nobody
    asks for, never the ones in use."""

    def __init__(self, ttl: float, *, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> tuple[V, bool] | None:
        """(answer, fresh) for a key asked before, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0], entry[1] > self._clock()

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (value, self._clock() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
