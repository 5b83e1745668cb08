"""SDK-shaped load for the ingest benchmark: sessions that overlap, bursts, and some bad messages.

A plan is the order of the messages, made before sending; each message is built when it is
sent, by `eye.sdk.event` (timestamp now, a new client `event_id`) and sent by the SDK's
producer (key = session id, the app key header, acks=all with idempotence).

The plan runs on a schedule of `events / rate` seconds. `sessions` sessions are active at any
moment: each of them is one slot that runs sessions back to back, each session 1-30 events
spread evenly over its span, the slot's first session already under way when the run starts and
its last one still going when it ends. A tenth of the sessions of 5 events or more send 5-10 of
them within one second of the schedule. Every 10th message is a valid event, a marker the
freshness probe looks for; about 2% of the others are broken, in one of four ways.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from eye.sdk import EyeProducer, event

HOSTS = ("www.example.com", "shop.example.com", "docs.example.com")
PATHS = ("/", "/pricing", "/docs", "/blog/kafka-analytics", "/signup", "/checkout", "/about")
ELEMENTS = ("start-trial", "buy-now", "subscribe", "contact-sales")
# Each kind of broken message, and the reason the worker gives it.
BROKEN = {"malformed_json": "malformed_json", "missing_field": "missing_field",
          "bad_timestamp": "invalid_timestamp", "unknown_app_key": "unauthorized_app"}
MARKER_EVERY = 10
LENGTHS = (1, 30)
BURSTS = (5, 10)
BURSTY_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Planned:
    """One message of a plan: what to send, not yet an event (it gets its time when sent)."""

    session_id: str
    category: str
    name: str
    data: dict[str, Any]
    broken: str | None = None  # a key of BROKEN, or None for a valid event
    marker: bool = False


def plan(events: int, *, sessions: int, rate: float, invalid: float = 0.02,
         seed: int = 1) -> list[Planned]:
    """`events` messages from `sessions` sessions active at once, on a schedule at `rate`/s."""
    rnd = random.Random(seed)
    duration = events / rate
    margin = 1.03  # slots send a little more than `events`; the schedule's tail is cut
    while True:
        beats = _schedule(rnd, duration, sessions, margin * events / sessions)
        if len(beats) >= events:
            break
        margin *= 1.1
    beats = beats[:events]
    ids: dict[int, str] = {}
    broken = invalid * MARKER_EVERY / (MARKER_EVERY - 1)  # markers are never broken
    out = []
    for i, (_t, slot_session) in enumerate(beats):
        first = slot_session not in ids
        if first:
            ids[slot_session] = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        marker = i % MARKER_EVERY == 0
        kind = None if marker or rnd.random() >= broken else rnd.choice(list(BROKEN))
        out.append(Planned(ids[slot_session], *_content(rnd, first), broken=kind, marker=marker))
    return out


def _schedule(rnd: random.Random, duration: float, slots: int, per_slot: float
              ) -> list[tuple[float, int]]:
    """(second of the schedule, session number) of every event sent within the run, in order."""
    beats: list[tuple[float, int]] = []
    number = 0
    for _ in range(slots):
        t: float | None = None
        while t is None or t < duration:
            length = rnd.randint(*LENGTHS)
            span = duration * length / per_slot  # a slot sends per_slot events over the run
            if t is None:
                t = -rnd.uniform(0, span)  # under way when the run starts
            times = [t + span * (k + rnd.random()) / length for k in range(length)]
            if length >= BURSTS[0] and rnd.random() < BURSTY_SHARE:
                k = rnd.randint(BURSTS[0], min(BURSTS[1], length))
                at = t + rnd.uniform(0, max(span - 1, 0))
                times[-k:] = sorted(at + rnd.random() for _ in range(k))
            beats += [(x, number) for x in times if 0 <= x < duration]
            number += 1
            t += span
    beats.sort()
    return beats


def _content(rnd: random.Random, first: bool) -> tuple[str, str, dict[str, Any]]:
    host, path = rnd.choice(HOSTS), rnd.choice(PATHS)
    roll = 0.0 if first else rnd.random()  # a session opens with a page view
    if roll < 0.7:
        return "page interaction", "pageview", {"host": host, "path": path}
    if roll < 0.9:
        return "page interaction", "cta click", {"host": host, "path": path,
                                                 "element": rnd.choice(ELEMENTS)}
    return "form interaction", "submit", {
        "host": host, "path": "/signup",
        "form": {"email": f"user{rnd.randrange(10_000)}@example.com",
                 "plan": rnd.choice(["free", "team", "enterprise"])}}


def one_each(sessions: int) -> Iterator[Planned]:
    """A page view from each of `sessions` new sessions (made as they are sent)."""
    for _ in range(sessions):
        yield Planned(str(uuid.uuid4()), "page interaction", "pageview",
                      {"host": "www.example.com", "path": "/"})


def expected_errors(items: Iterable[Planned]) -> int:
    return sum(1 for p in items if p.broken)


class Sender:
    """The SDK's producer with the registered app's key, and one with a key nobody registered.

    `fast` sets large batches, for filling a topic beforehand: the producer must outpace the
    worker, or the run measures the producer; otherwise the SDK's defaults.
    """

    def __init__(self, bootstrap: str, topic: str, app_key: str, *, fast: bool = False) -> None:
        options: dict[str, Any] = {}
        if fast:
            options = {"linger_ms": 20, "delivery_timeout": 120.0,
                       "config": {"batch.size": 1_000_000,
                                  "queue.buffering.max.messages": 1_000_000}}
        self.known = EyeProducer(bootstrap, app_key=app_key, topic=topic, **options)
        self.unknown = EyeProducer(bootstrap, app_key="not-a-registered-key", topic=topic)

    def send(self, p: Planned) -> dict[str, Any]:
        """Build the event now and queue it; return the event as built."""
        doc = event(p.session_id, p.category, p.name, p.data)
        if p.broken is None:
            self.known.send(doc)
        elif p.broken == "unknown_app_key":
            self.unknown.send(doc)
        else:
            self.known.send_raw(_break(doc, p.broken), key=p.session_id.encode())
        return doc

    def flush(self) -> None:
        self.known.flush()
        self.unknown.flush()


def _break(doc: dict[str, Any], kind: str) -> bytes:
    if kind == "malformed_json":
        return orjson.dumps(doc)[:-7]  # cut off mid-document
    if kind == "missing_field":
        return orjson.dumps({k: v for k, v in doc.items() if k != "category"})
    return orjson.dumps({**doc, "timestamp": "yesterday at noon"})


def prefill(bootstrap: str, topic: str, app_key: str, items: Iterable[Planned]) -> int:
    """Send every message as fast as the producer goes and wait for the broker's acks."""
    sender = Sender(bootstrap, topic, app_key, fast=True)
    n = 0
    for p in items:
        sender.send(p)
        n += 1
    sender.flush()
    return n
