"""Read back what reached a test's topic, with a consumer of its own."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer

from base.settings import Settings


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    partition: int


def read_topic(settings: Settings, count: int, timeout: float = 20.0) -> list[Record]:
    """The first `count` messages of the topic (fails if fewer arrive), in partition order."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": f"t-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([settings.topic])
    got: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            got.append(Record(msg.key(), msg.value(), dict(msg.headers() or []), msg.partition()))
        # Anything beyond `count` would be a duplicate: give it a moment to show up.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error():
                got.append(Record(msg.key(), msg.value(), dict(msg.headers() or []),
                                  msg.partition()))
    finally:
        consumer.close()
    assert len(got) == count, f"expected {count} messages on {settings.topic}, got {len(got)}"
    return got


def murmur2_partition(key: bytes, partitions: int) -> int:
    """Kafka's DefaultPartitioner for a keyed record, as the Java client computes it."""
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    h = (0x9747B28C ^ len(key)) & mask
    n4 = len(key) // 4
    for i in range(n4):
        k = int.from_bytes(key[i * 4:i * 4 + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    rest = key[n4 * 4:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if rest:
        h ^= rest[0]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return (h & 0x7FFFFFFF) % partitions
