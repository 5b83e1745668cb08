"""What became of messages a client sent, found by where the broker wrote them: stored in
`events`, or rejected in `errors` with a reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from psycopg import Connection


@dataclass
class Outcomes:
    stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    """Per reason, the detail of one rejected message."""

    @property
    def done(self) -> int:
        return self.stored + sum(self.rejected.values())


def find(conn: Connection, topic: str, positions: list[tuple[int, int]], session_ids: list[str],
         since: datetime) -> Outcomes:
    """Rows for the messages at `positions` (partition, offset) of `topic`. Events are looked up
    by their sessions (indexed) and errors by receive time (indexed): `since` must be before
    the worker read the first of them."""
    partitions = [p for p, _ in positions]
    offsets = [o for _, o in positions]
    out = Outcomes()
    if session_ids:
        row = conn.execute(
            "SELECT count(*) FROM events WHERE session_id = ANY(%s) "
            "AND (kafka_partition, kafka_offset) IN "
            "(SELECT * FROM unnest(%s::int[], %s::bigint[]))",
            (session_ids, partitions, offsets)).fetchone()
        out.stored = int(row[0]) if row else 0
    rows = conn.execute(
        'SELECT reason, count(*), min(detail) FROM errors WHERE topic = %s AND received_at >= %s '
        'AND ("partition", "offset") IN (SELECT * FROM unnest(%s::int[], %s::bigint[])) '
        "GROUP BY reason ORDER BY count(*) DESC, reason",
        (topic, since, partitions, offsets)).fetchall()
    for reason, count, detail in rows:
        out.rejected[reason] = int(count)
        out.examples[reason] = detail
    return out
