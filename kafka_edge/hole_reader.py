"""Reading from the broker the records of a hole: offsets Faust did not hand over (see
streams/offsets.py), or a batch it could not read (streams/set_aside.py). A blocking call, rare
(once per hole), run in a thread by the caller."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from base.errors import EyeError
from kafka_edge.clients import KafkaError, KafkaException, TopicPartition, reader


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
    # confluent-kafka cannot give headers whose names are not UTF-8; then there are none here.
    headers_unreadable: bool = False


def _headers(msg: Any) -> tuple[list[tuple[str, bytes]], bool]:
    try:
        return list(msg.headers() or []), False
    except (SystemError, UnicodeDecodeError):  # raised from its C code for such names
        return [], True


def read_hole(bootstrap: str, topic: str, partition: int, hole: range, *,
              timeout: float = 30.0) -> list[Record]:
    """The records whose offsets lie in `hole`. Offsets with no record (transaction markers,
    or records past retention) are simply absent. Raises HoleUnreadable after `timeout`."""
    consumer = reader(bootstrap, "hole-reader", {
        "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50, "enable.partition.eof": True,
        # as Faust reads: records of aborted transactions are delivered too
        "isolation.level": "read_uncommitted"})
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
                    headers, unreadable = _headers(msg)
                    out.append(Record(topic, partition, offset, msg.key(), msg.value(),
                                      headers, millis / 1000 if millis >= 0 else None,
                                      unreadable))
                if offset == hole.stop - 1:
                    return out
        raise HoleUnreadable(f"{topic}[{partition}] {hole}: not read within {timeout}s")
    except KafkaException as exc:
        raise HoleUnreadable(f"{topic}[{partition}] {hole}: {exc}") from exc
    finally:
        consumer.close()
