"""Per-token bounds on subscriptions: how many may be open, how fast messages go out.

Both count every WebSocket connection of the token in this API process, so opening more
connections does not multiply them. Messages are paced by a token bucket (a burst of one
second's worth): a subscription whose rows arrive faster than its token's rate falls behind,
fills its buffer and is dropped as a slow client, as one whose network is slow would be.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from graphql_api.errors import LimitExceeded


@dataclass(slots=True)
class _Account:
    open: int = 0
    tokens: float = 0.0
    at: float = field(default_factory=time.monotonic)


class Quotas:
    def __init__(self, max_subscriptions: int, messages_per_second: float) -> None:
        self.max_subscriptions = max_subscriptions
        self.rate = messages_per_second
        self._accounts: dict[int, _Account] = {}

    def open(self, token_id: int) -> None:
        """Count one more open subscription; raises LimitExceeded beyond the limit."""
        account = self._accounts.setdefault(token_id, _Account(tokens=self.rate))
        if account.open >= self.max_subscriptions:
            raise LimitExceeded("TOO_MANY_SUBSCRIPTIONS",
                                f"this token has {account.open} open subscriptions, the most "
                                "allowed: complete one first", limit=self.max_subscriptions)
        account.open += 1

    def close(self, token_id: int) -> None:
        account = self._accounts.get(token_id)
        if account is None:
            return
        account.open -= 1
        if account.open <= 0:
            del self._accounts[token_id]

    def open_count(self, token_id: int) -> int:
        account = self._accounts.get(token_id)
        return 0 if account is None else account.open

    async def pace(self, token_id: int) -> None:
        """Wait until the token may send one more message."""
        account = self._accounts.get(token_id)
        if account is None:
            return
        while True:
            now = time.monotonic()
            account.tokens = min(self.rate, account.tokens + (now - account.at) * self.rate)
            account.at = now
            if account.tokens >= 1.0:
                account.tokens -= 1.0
                return
            await asyncio.sleep((1.0 - account.tokens) / self.rate)
