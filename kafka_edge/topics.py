"""The topics The Eye reads and writes, made when missing."""

from __future__ import annotations

from confluent_kafka.admin import NewTopic

from base.settings import Settings
from kafka_edge.clients import KafkaException, admin


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create the input and dead-letter topics when missing; return the names created."""
    client = admin(settings.kafka_bootstrap)
    existing = set(client.list_topics(timeout=timeout).topics)
    # The control topic is co-partitioned with the input: a session's commands reach the
    # worker that holds its state.
    wanted = [NewTopic(t, settings.topic_partitions, 1)
              for t in (settings.topic, settings.dlq_topic, settings.control_topic)
              if t not in existing]
    if not wanted:
        return []
    for name, fut in client.create_topics(wanted, request_timeout=timeout).items():
        try:
            fut.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return [t.topic for t in wanted]
