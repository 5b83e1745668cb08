"""Light requests first on the event loop.

One process answers every request on one event loop, which runs what is ready in the order it
became ready. A heavy request's long answer is completed in slices (executor.py); a light
request arriving behind a few of them waits for their slices at every step it takes (its body,
its statement, its answer). So while a light request is under way, the heavy ones' slices wait
for it to be answered: at most `max_hold` each time, so a steady stream of light requests
slows the heavy ones down but cannot stop them.

A request counts as light from the moment its body is read until it is found heavy
(limits.is_light): its parsing and checks go first too. Not before: a client sending its body
slowly would hold the heavy requests back for as long as it took.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

# About a light request's own time on the loop and in PostgreSQL, twice over.
MAX_HOLD = 0.02


class Precedence:
    def __init__(self, max_hold: float = MAX_HOLD) -> None:
        self.max_hold = max_hold
        self._light = 0
        self._clear = asyncio.Event()
        self._clear.set()

    @contextmanager
    def arriving(self) -> Iterator[Turn]:
        """A request under way: light until `Turn.heavy()` says otherwise."""
        turn = Turn(self)
        self._enter()
        try:
            yield turn
        finally:
            if turn.light:
                self._leave()

    async def pause(self) -> None:
        """A heavy request's pause between two slices of its answer."""
        if not self._light:
            await asyncio.sleep(0)
            return
        try:
            async with asyncio.timeout(self.max_hold):
                await self._clear.wait()
        except TimeoutError:
            pass

    def _enter(self) -> None:
        self._light += 1
        self._clear.clear()

    def _leave(self) -> None:
        self._light -= 1
        if not self._light:
            self._clear.set()


class Turn:
    __slots__ = ("_precedence", "light")

    def __init__(self, precedence: Precedence) -> None:
        self._precedence = precedence
        self.light = True

    def heavy(self) -> None:
        if self.light:
            self.light = False
            self._precedence._leave()
