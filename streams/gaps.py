"""Reading from the broker what Faust did not hand over: where a partition resumed, and the
records of a hole (see streams/offsets.py).

Both are blocking confluent-kafka calls, rare (once per partition and rebalance, and once per
hole), run in a thread by the caller. The reader is a consumer of no group that commits nothing.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, KafkaError, KafkaException,
                             TopicPartition)
from confluent_kafka.admin import AdminClient, OffsetSpec

from eye.errors import EyeError


class HoleUnreadable(EyeError):
    """The broker did not give the records of a hole in time."""


@dataclass(frozen=True, slots=True)
class Record:
    """A record read here, shaped like the Faust message the ingest logic takes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: float | None  # seconds since the epoch


def resume_position(admin: AdminClient, group: str, topic: str, partition: int, *,
                    timeout: float = 10.0) -> int:
    """Where `group` resumes reading the partition: its committed offset, or else the log
    start (the worker reads from the earliest offset)."""
    tp = TopicPartition(topic, partition)
    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [tp])],
                                            request_timeout=timeout)[group]
    for got in fut.result().topic_partitions:
        if got.error is None and got.offset >= 0:
            return int(got.offset)
    low = admin.list_offsets({tp: OffsetSpec.earliest()}, request_timeout=timeout)[tp]
    return int(low.result().offset)


def read_hole(bootstrap: str, topic: str, partition: int, hole: range, *,
              timeout: float = 30.0) -> list[Record]:
    """The records whose offsets lie in `hole`. Offsets with no record (transaction markers,
    or records past retention) are simply absent. Raises HoleUnreadable after `timeout`."""
    consumer = Consumer({"bootstrap.servers": bootstrap,
                         "group.id": f"eye-hole-reader-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50,
                         # as Faust reads: records of aborted transactions are delivered too
                         "isolation.level": "read_uncommitted",
                         "enable.partition.eof": True})
    out: list[Record] = []
    try:
        consumer.assign([TopicPartition(topic, partition, hole.start)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in consumer.consume(500, timeout=0.5):
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        return out  # the hole's end was truncated away: nothing more to read
                    raise HoleUnreadable(f"{topic}[{partition}] {hole}: {err.str()}")
                offset = msg.offset()
                if offset >= hole.stop:
                    return out
                if offset >= hole.start:
                    _kind, millis = msg.timestamp()
                    out.append(Record(topic, partition, offset, msg.key(), msg.value(),
                                      list(msg.headers() or []),
                                      millis / 1000 if millis >= 0 else None))
                if offset == hole.stop - 1:
                    return out
        raise HoleUnreadable(f"{topic}[{partition}] {hole}: not read within {timeout}s")
    except KafkaException as exc:
        raise HoleUnreadable(f"{topic}[{partition}] {hole}: {exc}") from exc
    finally:
        consumer.close()
