"""A bounded load for fault drills, and the check that nothing was lost and nothing doubled."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import psycopg

from base.settings import Settings
from eye.sdk import EyeProducer
from kafka_edge.clients import DeliveryFailed
from kafka_edge.lag import measure

# CI runs a smaller load; `make test-faults` runs the full one.
EVENTS = int(os.environ.get("EYE_FAULT_EVENTS", "20000"))
INVALID_EVERY = 50


@dataclass
class Load:
    """Messages with known outcomes: valid ones carry an event_id, every 50th is invalid."""

    app_key: str
    n: int = EVENTS
    sessions: int = 500
    seed: int = 7
    valid: dict[str, str] = field(default_factory=dict)  # event_id -> session_id
    invalid: int = 0

    def messages(self) -> list[tuple[bytes, bytes]]:
        rnd = random.Random(self.seed)
        sids = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(self.sessions)]
        t0 = datetime.now(UTC) - timedelta(hours=1)
        out = []
        for i in range(self.n):
            sid = sids[rnd.randrange(self.sessions)]
            if i % INVALID_EVERY == INVALID_EVERY - 1:
                self.invalid += 1
                out.append((sid.encode(), b'{"session_id": "' + sid.encode() + b'", "oops"'))
                continue
            eid = str(uuid.UUID(int=rnd.getrandbits(128)))
            self.valid[eid] = sid
            out.append((sid.encode(), orjson.dumps({
                "event_id": eid, "session_id": sid, "category": "page interaction",
                "name": "pageview", "data": {"host": "h", "path": f"/{i % 17}"},
                "timestamp": (t0 + timedelta(milliseconds=i)).isoformat()})))
        return out


class Producing(threading.Thread):
    """Produces the load in the background at a bounded rate, idempotently, acks=all."""

    def __init__(self, settings: Settings, load: Load, rate: float = 5000.0) -> None:
        super().__init__(daemon=True)
        self.settings, self.load, self.rate = settings, load, rate
        self.failures: list[str] = []
        self.sent = 0

    def run(self) -> None:
        eye = EyeProducer(self.settings.kafka_bootstrap, app_key=self.load.app_key,
                          topic=self.settings.topic, linger_ms=10, delivery_timeout=120,
                          on_error=self.failures.append)
        started = time.monotonic()
        for i, (key, value) in enumerate(self.load.messages()):
            eye.send_raw(value, key=key)
            self.sent = i + 1
            ahead = self.sent / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        try:
            eye.flush(180)
        except DeliveryFailed as exc:  # every failure so far, with any still queued
            self.failures = list(exc.failures)


def rows(dsn: str) -> int:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            return int(conn.execute("SELECT (SELECT count(*) FROM events) + "
                                    "(SELECT count(*) FROM errors)").fetchone()[0])  # type: ignore[index]
    except psycopg.OperationalError:
        return -1


def wait_rows(dsn: str, n: int, timeout: float, settings: Settings | None = None) -> float:
    """Seconds until `n` rows are stored. With `settings`, a timeout names what is missing."""
    started = time.monotonic()
    while (got := rows(dsn)) < n:
        if time.monotonic() - started > timeout:
            where = f"\n{unstored(settings)}" if settings is not None else ""
            raise AssertionError(f"{got} of {n} rows after {timeout}s{where}")
        time.sleep(0.25)
    return time.monotonic() - started


def unstored(settings: Settings) -> str:
    """The topic positions with no row, per partition, beside the group's committed offset:
    tells a commit that passed unstored messages from messages never read."""
    lag = measure(settings.kafka_bootstrap, settings.consumer_group, settings.topic)
    with psycopg.connect(settings.dsn) as conn:
        stored = set(conn.execute("SELECT kafka_partition, kafka_offset FROM events").fetchall())
        stored |= set(conn.execute('SELECT "partition", "offset" FROM errors WHERE topic = %s',
                                   (settings.topic,)).fetchall())
    lines = []
    for p in lag.partitions:
        missing = [o for o in range(p.low, p.high) if (p.partition, o) not in stored]
        if missing:
            lines.append(f"partition {p.partition}: committed {p.committed}, end {p.high}, "
                         f"no row for offsets {missing[:20]}")
    return "\n".join(lines) or "every position of the topic has its row"


def assert_exact(dsn: str, load: Load) -> None:
    """Valid events stored once each, invalid ones in errors, sessions agree with events."""
    with psycopg.connect(dsn) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM events")]
        errors = dict(conn.execute("SELECT reason, count(*) FROM errors GROUP BY 1").fetchall())
        details = conn.execute("SELECT DISTINCT ON (reason) reason, detail FROM errors "
                               "WHERE reason <> 'malformed_json'").fetchall()
        sessions = dict(conn.execute("SELECT session_id, event_count FROM sessions").fetchall())
    doubled = [i for i, n in Counter(ids).items() if n > 1]
    missing = set(load.valid) - set(ids)
    assert not doubled and not missing and len(ids) == len(load.valid), \
        f"{len(missing)} missing, {len(doubled)} doubled, {len(ids)} of {len(load.valid)}; " \
        f"errors {errors}, e.g. {details}"
    assert errors == {"malformed_json": load.invalid}
    expected = Counter(load.valid.values())
    assert sessions == dict(expected), "sessions disagree with their events"
