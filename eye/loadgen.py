"""Synthetic traffic for load and fault tests: sessions of real event shapes, some broken on purpose.

Pure and deterministic for a seed: the same arguments give the same messages, so a benchmark
or a fault test can tell exactly what should end in `events` and what in `errors`.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

HOSTS = ("www.example.com", "shop.example.com", "docs.example.com")
PATHS = ("/", "/pricing", "/docs", "/blog/kafka-analytics", "/signup", "/checkout", "/about")
ELEMENTS = ("start-trial", "buy-now", "subscribe", "contact-sales")
# Each kind of broken message, and the reason the worker gives it.
INVALID_KINDS = {
    "malformed_json": "malformed_json",
    "missing_field": "missing_field",
    "bad_timestamp": "invalid_timestamp",
}


@dataclass(frozen=True, slots=True)
class Message:
    key: bytes | None
    value: bytes
    invalid: str | None
    """None for a valid event, else the kind of breakage (a key of INVALID_KINDS)."""


def generate(events: int, *, sessions: int, invalid_ratio: float = 0.0, seed: int = 1,
             now: datetime | None = None) -> Iterator[Message]:
    """`events` messages spread over `sessions` sessions, a share `invalid_ratio` of them broken.

    Every session starts with a pageview; its timestamps rise from an hour before `now`.
    """
    if not 0.0 <= invalid_ratio <= 1.0:
        raise ValueError("invalid_ratio must be between 0 and 1")
    if sessions < 1:
        raise ValueError("sessions must be at least 1")
    rnd = random.Random(seed)
    start = (now or datetime.now(UTC)) - timedelta(hours=1)
    ids = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(sessions)]
    # Spread an hour over each session's share of events, so none lands in the future.
    step = timedelta(seconds=3600 / max(1, -(-events // sessions) + 1))
    clocks = [start + timedelta(milliseconds=rnd.randrange(1000)) for _ in ids]
    seen = [0] * sessions
    kinds = list(INVALID_KINDS)
    for i in range(events):
        s = i % sessions
        sid = ids[s]
        clocks[s] += step
        doc = _event(rnd, sid, clocks[s], first=seen[s] == 0)
        seen[s] += 1
        if rnd.random() < invalid_ratio:
            kind = rnd.choice(kinds)
            yield Message(sid.encode(), _break(doc, kind), kind)
        else:
            yield Message(sid.encode(), orjson.dumps(doc), None)


def _event(rnd: random.Random, sid: str, at: datetime, *, first: bool) -> dict[str, Any]:
    host, path = rnd.choice(HOSTS), rnd.choice(PATHS)
    roll = 0.0 if first else rnd.random()
    if roll < 0.7:
        category, name, data = "page interaction", "pageview", {"host": host, "path": path}
    elif roll < 0.9:
        category, name = "page interaction", "cta click"
        data = {"host": host, "path": path, "element": rnd.choice(ELEMENTS)}
    else:
        category, name = "form interaction", "submit"
        data = {"host": host, "path": "/signup",
                "form": {"email": f"user{rnd.randrange(10_000)}@example.com",
                         "plan": rnd.choice(["free", "team", "enterprise"])}}
    return {"session_id": sid, "category": category, "name": name, "data": data,
            "timestamp": at.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "event_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4))}


def _break(doc: dict[str, Any], kind: str) -> bytes:
    if kind == "malformed_json":
        return orjson.dumps(doc)[:-7]  # cut off mid-document
    if kind == "missing_field":
        return orjson.dumps({k: v for k, v in doc.items() if k != "category"})
    return orjson.dumps({**doc, "timestamp": "yesterday at noon"})


class Pacer:
    """Spaces sends `1/rate` seconds apart on average; rate 0 means no waiting.

    It aims at the schedule, not the gap: a late send is followed by quicker ones, so the
    achieved rate stays the asked one as long as the sender can keep up.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._start = clock()
        self._sent = 0

    def wait(self) -> None:
        """Call before each send."""
        if self.rate > 0:
            due = self._start + self._sent / self.rate
            ahead = due - self._clock()
            if ahead > 0:
                self._sleep(ahead)
        self._sent += 1
