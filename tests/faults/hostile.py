"""A hostile producer for soak drills: valid events mixed with every rejection the worker makes,
every codec and odd messages, at a bounded rate, each filed in a ledger with how it must end."""

from __future__ import annotations

import random
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from confluent_kafka import Producer

from kafka_edge.clients import APP_KEY_HEADER, PRODUCER_DEFAULTS
from tests.faults.ledger import DUPLICATE, STORED, Ledger, Sent

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
# One of each every REJECT_EVERY messages, beside the valid events (about 9% of the load).
# duplicate_event sends again an event sent before; which copy is stored is known only from
# the offsets the broker gave them (see Ledger.expected).
REASONS = ("malformed_json", "not_an_object", "missing_field", "invalid_field",
           "payload_too_large", "too_deep", "invalid_encoding", "unknown_event_type",
           "invalid_timestamp", "timestamp_in_future", "unauthorized_app", "key_mismatch",
           DUPLICATE)
REJECT_EVERY = 150
# Odd messages, kind: (every, at). Tombstones and empty values end as malformed_json, a value
# just under the broker's 1 MB limit as payload_too_large, 1,000 headers as a stored event.
ODD = {"tombstone": (1000, 520), "empty": (1000, 770), "many_headers": (2000, 1270),
       "near_1mb": (20000, 10020)}
NEAR_1MB = 1_040_000  # the broker takes 1,048,588 bytes a batch (message.max.bytes)
TYPES = (("page interaction", "pageview"), ("page interaction", "cta click"),
         ("form interaction", "submit"))

Message = tuple[bytes | None, bytes | None, list[tuple[str, bytes]], Sent]


def key_of(doc: dict[str, Any]) -> bytes:
    """The Kafka key a well-behaved client gives an event: its session id."""
    return str(doc["session_id"]).encode()


class Mix:
    """The drill's messages, in a fixed order for a seed. Not thread-safe: one thread asks."""

    def __init__(self, app_key: str, *, sessions: int = 2000, seed: int = 11) -> None:
        self.rnd = random.Random(seed)
        self.app_key = app_key.encode()
        self.sids = [str(uuid.UUID(int=self.rnd.getrandbits(128))) for _ in range(sessions)]
        self.t0 = datetime.now(UTC) - timedelta(hours=2)
        self.copyable: list[tuple[bytes, bytes, Sent]] = []  # recent events, to send again
        self.i = 0

    def header(self) -> list[tuple[str, bytes]]:
        return [(APP_KEY_HEADER, self.app_key)]

    def event(self, *, with_id: bool = True, **extra: Any) -> tuple[dict[str, Any], Sent]:
        """A valid event, its timestamp its own (so entry and exit pages have one answer)."""
        self.i += 1
        sid = self.sids[self.rnd.randrange(len(self.sids))]
        category, name = TYPES[self.rnd.randrange(len(TYPES))]
        path = f"/p{self.rnd.randrange(50)}"
        data: dict[str, Any] = {"host": "soak.example", "path": path}
        if name == "cta click":
            data["element"] = "#buy"
        elif name == "submit":
            data["form"] = {"email": "a@example.com", "n": self.i}
        at = self.t0 + timedelta(milliseconds=self.i)
        doc = {"session_id": sid, "category": category, "name": name, "data": data,
               "timestamp": at.isoformat(), **extra}
        eid = str(uuid.UUID(int=self.rnd.getrandbits(128), version=4)) if with_id else None
        if eid is not None:
            doc["event_id"] = eid
        return doc, Sent("valid", STORED, "", sid, eid, at, name, path)

    def next(self) -> Message:
        n = self.i + 1
        for kind, (every, at) in ODD.items():
            if n % every == at:
                return self.odd(kind)
        if n % REJECT_EVERY < len(REASONS):
            return self.rejected(REASONS[n % REJECT_EVERY])
        doc, sent = self.event(with_id=self.rnd.random() < 0.9)
        key, value = key_of(doc), orjson.dumps(doc)
        if sent.event_id is not None and self.rnd.random() < 0.01:
            self.copyable.append((key, value, sent))
            del self.copyable[:-1000]
        return key, value, self.header(), sent

    def odd(self, kind: str) -> Message:
        if kind in ("tombstone", "empty"):
            doc, _sent = self.event()
            value = None if kind == "tombstone" else b""
            return key_of(doc), value, self.header(), Sent(kind, "malformed_json", "",
                                                           doc["session_id"])
        if kind == "many_headers":
            doc, sent = self.event()
            sent.kind = kind
            headers = self.header() + [(f"h{n}", b"v") for n in range(1000)]
            return key_of(doc), orjson.dumps(doc), headers, sent
        doc, _sent = self.event(pad="x" * NEAR_1MB)
        return key_of(doc), orjson.dumps(doc), self.header(), Sent(kind, "payload_too_large",
                                                                   "", doc["session_id"])

    def rejected(self, reason: str) -> Message:
        doc, sent = self.event()
        sid = sent.session_id
        assert sid is not None
        key: bytes | None = sid.encode()
        headers = self.header()
        variant = self.i // REJECT_EVERY % 3
        if reason == DUPLICATE:
            if not self.copyable:  # nothing to copy yet: a valid event instead
                return key, orjson.dumps(doc), headers, sent
            key, value, first = self.copyable.pop(self.rnd.randrange(len(self.copyable)))
            return key, value, headers, Sent(DUPLICATE, DUPLICATE, "", first.session_id,
                                             first.event_id, first.timestamp, first.name,
                                             first.path)
        if reason == "malformed_json":
            value = b'{"session_id": "' + sid.encode() + b'", "oops"'
        elif reason == "not_an_object":
            value = (b"[1, 2, 3]", b'"a string"', b"42")[variant]
        elif reason == "missing_field":
            del doc[("timestamp", "category", "data")[variant]]
            value = orjson.dumps(doc)
        elif reason == "invalid_field":
            if variant == 0:
                doc["data"]["host"] = 7
            elif variant == 1:
                doc["session_id"] = "   "
            else:
                doc["note"] = "nul \u0000 here"
            value = orjson.dumps(doc)
        elif reason == "payload_too_large":
            doc["pad"] = "y" * 66_000
            value = orjson.dumps(doc)
        elif reason == "too_deep":
            value = b'{"session_id": "s", "a": ' + b"[" * 40 + b"]" * 40 + b"}"
        elif reason == "invalid_encoding":
            value = orjson.dumps(doc)[:-1] + b', "city": "M\xfcnchen"}'  # Latin-1, not UTF-8
        elif reason == "unknown_event_type":
            doc["category"], doc["name"] = "video", "play"
            value = orjson.dumps(doc)
        elif reason == "invalid_timestamp":
            doc["timestamp"] = ("2021-13-01T00:00:00", 1609459200, "20210101T091527Z")[variant]
            value = orjson.dumps(doc)
        elif reason == "timestamp_in_future":
            doc["timestamp"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            value = orjson.dumps(doc)
        elif reason == "unauthorized_app":
            value = orjson.dumps(doc)
            headers = [] if variant == 0 else [(APP_KEY_HEADER, b"not-a-registered-key")]
        elif reason == "key_mismatch":
            value = orjson.dumps(doc)
            key = (None, b"user-42", sid.upper().encode())[variant]
        else:
            raise AssertionError(f"no message for {reason}")
        return key, value, headers, Sent(reason, reason, "", sid, sent.event_id)

    def kcat_lines(self, codec: str, n: int, ledger: Ledger) -> str:
        """`n` valid events as kcat's `key|value` lines, filed in the ledger by event id."""
        lines = []
        for _ in range(n):
            doc, sent = self.event()
            sent.kind, sent.codec = "kcat", codec
            ledger.by_kcat[sent.event_id] = sent  # type: ignore[index]
            lines.append(f"{sent.session_id}|{orjson.dumps(doc).decode()}")
        return "\n".join(lines) + "\n"


class Producing(threading.Thread):
    """Sends the mix at `rate` messages a second until `stop` is set, each through one of the
    producers, one per codec (a record batch holds one codec), chosen at random; the 1 MB
    values through one allowed to send them. At each time in `kcat_at` (seconds from the
    start), a few events go with kcat, once per codec."""

    def __init__(self, bootstrap: str, topic: str, mix: Mix, *, rate: float = 1000.0,
                 kcat_at: tuple[float, ...] = ()) -> None:
        super().__init__(daemon=True, name="hostile-producer")
        assert bootstrap.startswith("127.0.0.1:"), "the drill stays on this machine"
        self.bootstrap, self.topic, self.mix, self.rate = bootstrap, topic, mix, rate
        self.kcat_at = sorted(kcat_at)
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.sent = 0
        self.by_codec: dict[str, int] = dict.fromkeys(CODECS, 0)
        self.unflushed = 0
        self.error: BaseException | None = None
        self.rnd = random.Random(5)
        base = {**PRODUCER_DEFAULTS, "bootstrap.servers": bootstrap, "linger.ms": 20,
                "delivery.timeout.ms": 300_000}
        self.producers = {c: Producer({**base, "compression.type": c}) for c in CODECS}
        self.big = Producer({**base, "message.max.bytes": 2_000_000})
        self._kcat: list[threading.Thread] = []

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc
        finally:  # no client left to call a stopped broker for the rest of the session
            self.producers.clear()
            self.big = None  # type: ignore[assignment]

    def _run(self) -> None:
        started = time.monotonic()
        everyone = (*self.producers.values(), self.big)
        while not self.stop.is_set():
            if self.kcat_at and time.monotonic() - started >= self.kcat_at[0]:
                self.kcat_at.pop(0)
                self._send_with_kcat()
            key, value, headers, sent = self.mix.next()
            sent.codec = CODECS[self.rnd.randrange(len(CODECS))]
            p = self.producers[sent.codec]
            if sent.kind == "near_1mb":
                p, sent.codec = self.big, "none"
            self._produce(p, key, value, headers, sent)
            self.sent += 1
            self.by_codec[sent.codec] += 1
            if self.sent % 100 == 0:
                for q in everyone:
                    q.poll(0)
            ahead = self.sent / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        for q in everyone:
            self.unflushed += q.flush(300)
        for t in self._kcat:
            t.join()

    def _produce(self, p: Producer, key: bytes | None, value: bytes | None,
                 headers: list[tuple[str, bytes]], sent: Sent) -> None:
        while True:
            try:
                p.produce(self.topic, key=key, value=value, headers=headers,
                          on_delivery=self.ledger.report(sent))
                return
            except BufferError:  # the local queue is full while the broker is slow: wait
                p.poll(0.1)

    def _send_with_kcat(self, n: int = 4) -> None:
        batches = [(c, self.mix.kcat_lines(c, n, self.ledger)) for c in CODECS]
        t = threading.Thread(target=self._kcat_run, args=(batches,), daemon=True)
        t.start()
        self._kcat.append(t)

    def _kcat_run(self, batches: list[tuple[str, str]]) -> None:
        for codec, lines in batches:
            proc = subprocess.run(
                ["kcat", "-P", "-b", self.bootstrap, "-t", self.topic, "-K", "|", "-z", codec,
                 "-H", f"{APP_KEY_HEADER}={self.mix.app_key.decode()}",
                 "-X", "partitioner=murmur2_random"],
                input=lines, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                with self.ledger.lock:
                    self.ledger.failures.append(f"kcat -z {codec}: {proc.stderr.strip()}")
