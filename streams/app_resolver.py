"""Which registered application sent a message: the `eye-app-key` header, resolved with a cache."""

from __future__ import annotations

import time
from collections.abc import Callable

from base.ttlcache import TtlCache
from store import applications
from store.patient import PatientConnection



class AppResolver:
    """Maps app keys to application ids, remembering each answer for `ttl` seconds.

    The cache keeps the database out of the per-event path; its short life is what makes a
    revocation take effect within seconds. Unknown keys are remembered too, so a flood of
    bad keys costs one query per key per `ttl`; they are kept apart, in a smaller cache, so
    such a flood cannot push the registered keys out.
    """

    def __init__(self, dsn: str, *, ttl: float = 5.0, max_entries: int = 10_000,
                 max_unknown: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._dsn = dsn
        self._known: TtlCache[bytes, int] = TtlCache(ttl, max_entries=max_entries, clock=clock)
        self._unknown: TtlCache[bytes, None] = TtlCache(
            ttl, max_entries=max_unknown or max(max_entries // 10, 1), clock=clock)
        self._db = PatientConnection(dsn, what="check an app key")

    async def resolve(self, key: bytes | None) -> int | None:
        """The id of the application holding `key`, or None for a key that is missing, unknown
        or revoked. Waits while the database cannot answer; raises on any other failure."""
        if not key:
            return None
        hit = self._known.get(key)
        if hit is not None and hit[1]:
            return hit[0]
        miss = self._unknown.get(key)
        if miss is not None and miss[1]:
            return None
        app_id = await self._lookup(key)
        if app_id is None:
            self._unknown.put(key, None)
        else:
            self._known.put(key, app_id)
        return app_id

    async def _lookup(self, key: bytes) -> int | None:
        # While the database is away no key can be judged: wait for it rather than reject
        # events of a registered application.
        return await self._db.run(lambda conn: applications.active_id(conn, key))

    async def close(self) -> None:
        await self._db.close()
