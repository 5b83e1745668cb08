"""One token's share of the database pool, heavy requests' share of it, and one request's
number of statements.

The pool is shared by every client; without a share, one token's requests (or one request's
aliases, which run at once) could hold every connection while others wait, authentication
included. Shares per token are not enough: a few tokens of aggregates fill the pool together.
So heavy requests (limits.is_light) also pass a lane of api_heavy_concurrency places, and the
other connections stay for light ones. A request's resolvers take
connections through `RequestConnections`, which waits for a place in its token's gate (and the
heavy lane, for a heavy request) and counts the statements against the request's budget.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager


from graphql_api.errors import LimitExceeded
from store.db import AsyncConnection, AsyncConnectionPool


class TokenGates:
    """A semaphore per token, made when the token's first request comes and dropped once none
    of its requests holds it."""

    def __init__(self, per_token: int) -> None:
        self.per_token = per_token
        self._gates: weakref.WeakValueDictionary[int, asyncio.Semaphore] = (
            weakref.WeakValueDictionary())

    def gate(self, token_id: int) -> asyncio.Semaphore:
        gate = self._gates.get(token_id)
        if gate is None:
            gate = self._gates[token_id] = asyncio.Semaphore(self.per_token)
        return gate


class RequestConnections:
    """The pool as one request's resolvers see it: `connection()` like the pool's, within the
    token's gate and the request's statement budget."""

    def __init__(self, pool: AsyncConnectionPool, gate: asyncio.Semaphore, budget: int,
                 lane: asyncio.Semaphore | None = None) -> None:
        """`lane`: the heavy requests' semaphore, for a heavy request; None for a light one."""
        self._pool = pool
        self._gate = gate
        self._lane = lane
        self.budget = budget
        self.used = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        # The cost walk bounds statements before the request runs; this holds the bound even
        # where that count could be wrong.
        self.used += 1
        if self.used > self.budget:
            raise LimitExceeded("MAX_STATEMENTS_EXCEEDED",
                                f"the request ran its {self.budget} database statements",
                                limit=self.budget)
        async with AsyncExitStack() as stack:
            # The lane before the gate: a heavy statement waiting for its turn holds none of its
            # token's places, so the token's light requests pass its queued aggregates.
            if self._lane is not None:
                await stack.enter_async_context(self._lane)
            await stack.enter_async_context(self._gate)
            yield await stack.enter_async_context(self._pool.connection())
