"""Reading a hole's records from the real broker."""

from __future__ import annotations

from confluent_kafka import Producer

from base.settings import Settings
from kafka_edge.hole_reader import read_hole


def produce_with_a_transaction(settings: Settings) -> None:
    """Six records on partition 0, two of them in a transaction whose commit marker takes an
    offset of its own: seven offsets in all."""
    plain = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for i in range(3):
        plain.produce(settings.topic, value=f"m{i}".encode(), partition=0,
                      headers=[("eye-app-key", b"k")])
    plain.flush(30)
    tx = Producer({"bootstrap.servers": settings.kafka_bootstrap,
                   "transactional.id": f"{settings.topic}-tx"})
    tx.init_transactions(30)
    tx.begin_transaction()
    for i in (3, 4):
        tx.produce(settings.topic, value=f"m{i}".encode(), partition=0)
    tx.commit_transaction(30)
    plain.produce(settings.topic, value=b"m5", partition=0)
    plain.flush(30)


def test_a_hole_yields_its_records_and_skips_offsets_with_none(topics: Settings) -> None:
    produce_with_a_transaction(topics)
    records = read_hole(topics.kafka_bootstrap, topics.topic, 0, range(1, 7))
    assert sorted(r.value for r in records) == [b"m1", b"m2", b"m3", b"m4", b"m5"]
    [marker] = set(range(1, 7)) - {r.offset for r in records}
    assert read_hole(topics.kafka_bootstrap, topics.topic, 0, range(marker, marker + 1)) == []
    first = read_hole(topics.kafka_bootstrap, topics.topic, 0, range(0, 1))
    assert [(r.offset, r.value, r.headers) for r in first] == [(0, b"m0", [("eye-app-key", b"k")])]
    assert first[0].timestamp is not None and first[0].topic == topics.topic
