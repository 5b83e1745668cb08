"""The one place Kafka clients are made: producers, readers and admin clients, each with the
settings every one of The Eye's clients shares."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import (Consumer, KafkaError, KafkaException, Message, Producer,
                             TopicPartition)
from confluent_kafka.admin import AdminClient

from base.errors import EyeError

__all__ = ["APP_KEY_HEADER", "PRODUCER_DEFAULTS", "AdminClient", "Consumer", "DeliveryFailed",
           "KafkaError", "KafkaException", "Message", "Producer", "TopicPartition", "admin",
           "producer", "reader"]

# The header that carries a client application's key on every event message.
APP_KEY_HEADER = "eye-app-key"

# librdkafka's default partitioner (CRC32) differs from the Java client's and aiokafka's
# (murmur2): a session sent by both kinds of client would split across partitions, and so
# across workers. Every producer of The Eye uses the Java-compatible one.
PRODUCER_DEFAULTS = {"partitioner": "murmur2_random", "enable.idempotence": True, "acks": "all"}


class DeliveryFailed(EyeError):
    def __init__(self, failures: list[str]) -> None:
        super().__init__(f"{len(failures)} message(s) not delivered; first: {failures[0]}")
        self.failures = failures


def producer(bootstrap: str, config: dict[str, Any] | None = None) -> Producer:
    """A producer with The Eye's defaults; `config` adds to them, and cannot turn them off."""
    return Producer({**(config or {}), **PRODUCER_DEFAULTS, "bootstrap.servers": bootstrap})


def reader(bootstrap: str, name: str, config: dict[str, object] | None = None) -> Consumer:
    """A consumer for reading records at positions it is given: in a group of its own that
    commits nothing, so no group's offsets move."""
    return Consumer({"bootstrap.servers": bootstrap,
                     "group.id": f"eye-{name}-{uuid.uuid4().hex[:8]}",
                     "enable.auto.commit": False, "enable.auto.offset.store": False,
                     **(config or {})})


def admin(bootstrap: str, config: dict[str, Any] | None = None) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, **(config or {})})
