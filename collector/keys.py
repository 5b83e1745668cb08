"""Is an app key registered and unrevoked? Asked of PostgreSQL, remembered for a few seconds."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from base.ttlcache import TtlCache
from collector.errors import Unauthorized, Unavailable
from store import applications, secrets
from store.db import AsyncConnectionPool
from store.errors import NO_ANSWER

log = logging.getLogger(__name__)


class AppKeys:
    """Like streams.app_resolver.AppResolver, but a request cannot wait for the database to return.

    While PostgreSQL is away, a key that was valid a moment ago is still let through (the
    worker checks it again before storing anything); any other key gets a 503 to retry.
    """

    def __init__(self, pool: AsyncConnectionPool, *, ttl: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._cache: TtlCache[bytes, int | None] = TtlCache(ttl, max_entries=max_entries,
                                                            clock=clock)

    async def check(self, key: bytes) -> int:
        """The application id holding `key`; raises Unauthorized or Unavailable."""
        hit = self._cache.get(key)
        if hit is not None and hit[1]:
            app_id = hit[0]
        else:
            try:
                async with self._pool.connection(timeout=2.0) as conn:
                    app_id = await applications.active_id(conn, key)
            except NO_ANSWER as exc:
                if hit is not None and hit[0] is not None:
                    return hit[0]
                log.warning("cannot check an app key: %s", exc)
                raise Unavailable("cannot check the app key now") from None
            self._cache.put(key, app_id)
        if app_id is None:
            hint = secrets.wrong_kind(key, "app key")
            raise Unauthorized(f"not an app key: {hint}" if hint else "unknown or revoked app key")
        return app_id
