"""What the worker recalls from the database for a batch: where client event ids were first
read, and the last stored state of sessions. One query each per batch, on a connection of its
own that waits while the database cannot answer (store/patient.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from store.patient import Outage, PatientConnection

_FIRST_READS = "SELECT id, kafka_partition, kafka_offset FROM event_ids WHERE id = ANY(%s)"
_STATES = "SELECT session_id, state FROM sessions WHERE session_id = ANY(%s) AND state IS NOT NULL"


class Recall:
    def __init__(self, dsn: str, *, on_outage: Outage | None = None) -> None:
        self._db = PatientConnection(dsn, what="recall stored state", on_outage=on_outage)

    async def both(self, ids: list[UUID], session_ids: list[str]
                   ) -> tuple[dict[UUID, tuple[int, int]], dict[str, bytes]]:
        """`first_reads` and `session_states` in one round trip."""
        if not ids or not session_ids:
            return await self.first_reads(ids), await self.session_states(session_ids)
        reads, states = await self._fetch_many([(_FIRST_READS, ids), (_STATES, session_ids)])
        return {i: (p, o) for i, p, o in reads}, {s: bytes(st) for s, st in states}

    async def first_reads(self, ids: list[UUID]) -> dict[UUID, tuple[int, int]]:
        """(partition, offset) where each of these client event ids was first read, for those
        seen within the dedup window."""
        if not ids:
            return {}
        rows = await self._fetch(_FIRST_READS, ids)
        return {i: (p, o) for i, p, o in rows}

    async def session_states(self, session_ids: list[str]) -> dict[str, bytes]:
        """The worker's state of each session as last stored."""
        if not session_ids:
            return {}
        rows = await self._fetch(_STATES, session_ids)
        return {s: bytes(state) for s, state in rows}

    async def _fetch(self, query: str, values: list[Any]) -> list[tuple[Any, ...]]:
        [rows] = await self._fetch_many([(query, values)])
        return rows

    async def _fetch_many(self, queries: list[tuple[str, list[Any]]]
                          ) -> list[list[tuple[Any, ...]]]:
        async def ask(conn: AsyncConnection) -> list[list[tuple[Any, ...]]]:
            async with conn.pipeline():
                curs = [await conn.execute(q, (values,)) for q, values in queries]
            return [await cur.fetchall() for cur in curs]

        return await self._db.run(ask)

    async def close(self) -> None:
        await self._db.close()
