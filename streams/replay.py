"""`eye replay`: judge stored rejections again, after a rule or an application was fixed.

Those that pass now move into `events` with the id the worker would have given them, so moving
twice adds nothing. Their sessions are then rebuilt by the worker that holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


from store import rejections as stored
from store.db import Connection
from store.partitions import Window
from store.rows import EventRow, Source
from streams.to_rows import event_row
from validators import Event, Policy, validate


@dataclass
class Outcome:
    checked: int = 0
    moved: int = 0
    sessions: set[str] = field(default_factory=set)


def replay(conn: Connection, *, reason: str, since: datetime | None, policy: Policy,
           window: Window = Window(), batch: int = 500,
           on_progress: Callable[[Outcome], None] | None = None) -> Outcome:
    active, by_hash = stored.active_apps(conn)
    out = Outcome()
    after = 0
    while rows := stored.rejected(conn, reason, since, after, batch):
        after = rows[-1].id
        moves: list[tuple[int, EventRow]] = []
        for r in rows:
            out.checked += 1
            app_id = r.application_id if r.application_id in active else (
                by_hash.get(bytes(r.app_key_hash)) if r.app_key_hash else None)
            if app_id is None:
                continue
            outcome = validate(r.payload, received_at=r.received_at, policy=policy)
            if isinstance(outcome, Event):
                src = Source(r.topic, r.partition, r.offset, r.payload, "{}", r.received_at)
                moves.append((r.id, event_row(outcome, src, app_id)))
                out.sessions.add(outcome.session_id)
        out.moved += stored.move(conn, moves, window)
        if on_progress is not None:
            on_progress(out)
    return out
