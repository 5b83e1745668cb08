"""What a drill sent and how each message must end, and the exact check of the stored rows
against it: one row per place in the topic, the expected outcome at each, sessions that agree.

The ledger is keyed by where the broker put each message (partition, offset), from the delivery
reports. Messages sent with kcat, which reports no offsets, are kept by event id and found at
the places the delivery reports do not cover.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import psycopg
from confluent_kafka import KafkaError, Message

from streams.to_rows import derived_id

Place = tuple[int, int]  # (partition, offset)
STORED = "stored"  # the outcome of a message that must end in `events`
DUPLICATE = "duplicate_event"


@dataclass(slots=True)
class Sent:
    """One message: what it was (`kind`), how it must end (STORED or a rejection reason), and
    for an event, what its session must make of it."""

    kind: str
    outcome: str
    codec: str = ""
    session_id: str | None = None
    event_id: str | None = None  # the client's id; None when the worker derives one
    timestamp: datetime | None = None
    name: str | None = None
    path: str | None = None


@dataclass
class Ledger:
    placed: dict[Place, Sent] = field(default_factory=dict)
    by_kcat: dict[str, Sent] = field(default_factory=dict)  # event id -> Sent
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, sent: Sent) -> Callable[[KafkaError | None, Message], None]:
        """A delivery callback that files `sent` under the place the broker gave it."""
        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            with self.lock:
                if err is not None:
                    self.failures.append(f"{sent.kind} ({sent.codec}): {err}")
                else:
                    self.placed[(msg.partition(), msg.offset())] = sent  # type: ignore[index]
        return on_delivery

    def expected(self) -> dict[Place, Sent]:
        """Each place and its outcome, copies of one event id settled: the copy at the lowest
        offset is stored, later ones are duplicate_event. (All copies have one key, so one
        partition, which the worker reads in offset order.)"""
        out = dict(self.placed)
        copies: dict[str, list[Place]] = {}
        for place, sent in out.items():
            if sent.outcome in (STORED, DUPLICATE) and sent.event_id is not None:
                copies.setdefault(sent.event_id, []).append(place)
        for places in copies.values():
            first, *later = sorted(places, key=lambda p: p[1])
            out[first] = replace(out[first], outcome=STORED)
            for place in later:
                out[place] = replace(out[place], outcome=DUPLICATE)
        return out


@dataclass
class Outcome:
    """The figures of a check, and what disagreed (empty when all is exact)."""

    produced: int = 0
    events: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    expected_errors: Counter[str] = field(default_factory=Counter)
    doubled: int = 0
    sessions: int = 0
    complaints: list[str] = field(default_factory=list)


def check(dsn: str, topic: str, ledger: Ledger, ends: dict[int, int]) -> Outcome:
    """Compare every row stored with the ledger, place by place. `ends`: each partition's log
    end offset after the run (the topic starts at 0: no transactions, so no gaps)."""
    with psycopg.connect(dsn) as conn:
        events = conn.execute("SELECT kafka_partition, kafka_offset, id::text FROM events"
                              ).fetchall()
        errors = conn.execute('SELECT "partition", "offset", reason, topic FROM errors').fetchall()
        sessions = {r[0]: r[1:] for r in conn.execute(
            "SELECT session_id, event_count, pageviews, first_seen, last_seen, entry_page, "
            "exit_page FROM sessions")}
        per_session = dict(conn.execute("SELECT session_id, count(*) FROM events GROUP BY 1"))
    out = Outcome(produced=sum(ends.values()), events=len(events),
                  errors=Counter(r[2] for r in errors))
    got: dict[Place, list[str]] = {}  # place -> what is stored there: "stored:<id>" or a reason
    for p, o, eid in events:
        got.setdefault((p, o), []).append(f"{STORED}:{eid}")
    for p, o, reason, t in errors:
        if t != topic:
            out.complaints.append(f"an error row of another topic {t!r} at {p}:{o} ({reason})")
        got.setdefault((p, o), []).append(reason)
    expected = ledger.expected()
    out.expected_errors = Counter(s.outcome for s in expected.values() if s.outcome != STORED)

    rows = len(events) + len(errors)
    placed = len(expected) + len(ledger.by_kcat)
    if not rows == out.produced == placed:
        out.complaints.append(f"{out.produced} messages in the topic, {placed} in the ledger "
                              f"({len(ledger.by_kcat)} by kcat), {rows} rows stored")
    doubled = {pl: g for pl, g in got.items() if len(g) > 1}
    out.doubled = len(doubled)
    if doubled:
        out.complaints.append(f"{len(doubled)} places with more than one row, e.g. "
                              f"{_some(doubled)}")
    ids = Counter(g.split(":", 1)[1] for gs in got.values() for g in gs if g.startswith(STORED))
    twice = [i for i, n in ids.items() if n > 1]
    if twice:
        out.complaints.append(f"{len(twice)} event ids stored more than once, e.g. {twice[:5]}")
    strays = [pl for pl in got if pl[1] >= ends.get(pl[0], 0)]
    if strays:
        out.complaints.append(f"rows for places past the log end: {sorted(strays)[:10]}")

    wrong: dict[tuple[str, str], list[Place]] = {}
    missing, kcat_places = [], []
    for partition, end in sorted(ends.items()):
        for offset in range(end):
            place = (partition, offset)
            sent, there = expected.get(place), got.get(place, [])
            if not there:
                missing.append(place)
                continue
            if sent is None:
                kcat_places.append(place)
                continue
            want = sent.outcome if sent.outcome != STORED else \
                f"{STORED}:{sent.event_id or derived_id(topic, partition, offset)}"
            if there[0] != want:
                what = f"{sent.kind} ({sent.codec}) -> {want}"
                got_as = there[0] if sent.outcome == STORED else there[0].split(":")[0]
                wrong.setdefault((what, got_as), []).append(place)
    if missing:
        out.complaints.append(f"{len(missing)} places with no row, e.g. {missing[:10]}")
    for (what, there), places in sorted(wrong.items())[:20]:
        out.complaints.append(f"{len(places)} x {what}, stored as {there}: e.g. {places[:5]}")
    kcat_ids = {got[pl][0].split(":", 1)[1] for pl in kcat_places if got[pl][0].startswith(STORED)}
    if kcat_ids != set(ledger.by_kcat) or len(kcat_places) != len(ledger.by_kcat):
        out.complaints.append(f"kcat sent {len(ledger.by_kcat)} events; places outside the "
                              f"delivery reports: {len(kcat_places)}, of them stored with a "
                              f"kcat event id: {len(kcat_ids & set(ledger.by_kcat))}")
    if out.errors != out.expected_errors:
        out.complaints.append(f"errors by reason {dict(sorted(out.errors.items()))}, expected "
                              f"{dict(sorted(out.expected_errors.items()))}")
    stored = [s for s in expected.values() if s.outcome == STORED] + list(ledger.by_kcat.values())
    out.complaints += sessions_disagree(stored, sessions, per_session)
    out.sessions = len(sessions)
    return out


def sessions_disagree(stored: list[Sent], sessions: dict[str, tuple[object, ...]],
                      per_session: dict[str, int]) -> list[str]:
    """Each session row against what its stored events make (count, pageviews, first and last
    seen, entry and exit page by event time) and against the events table's count."""
    by: dict[str, list[Sent]] = {}
    for s in stored:
        by.setdefault(s.session_id, []).append(s)  # type: ignore[arg-type]
    want = {}
    for sid, evs in by.items():
        views = sorted((s.timestamp, s.path) for s in evs if s.name == "pageview")
        times = [s.timestamp for s in evs]
        want[sid] = (len(evs), len(views), min(times), max(times),  # type: ignore[type-var]
                     views[0][1] if views else None, views[-1][1] if views else None)
    out = []
    differ = {sid for sid in want.keys() | sessions.keys() if want.get(sid) != sessions.get(sid)}
    if differ:
        sid = sorted(differ)[0]
        out.append(f"{len(differ)} of {len(want)} sessions disagree with the events sent; e.g. "
                   f"{sid}: stored {sessions.get(sid)}, expected {want.get(sid)} (event_count, "
                   "pageviews, first_seen, last_seen, entry_page, exit_page)")
    counts = {sid: row[0] for sid, row in sessions.items()}
    if counts != per_session:
        bad = sorted(sid for sid in counts.keys() | per_session.keys()
                     if counts.get(sid) != per_session.get(sid))
        out.append(f"{len(bad)} sessions whose event_count is not their rows in events, e.g. "
                   f"{bad[0]}: {counts.get(bad[0])} vs {per_session.get(bad[0])}")
    return out


def _some(doubled: dict[Place, list[str]]) -> str:
    return ", ".join(f"{p}:{o} {g}" for (p, o), g in sorted(doubled.items())[:5])
