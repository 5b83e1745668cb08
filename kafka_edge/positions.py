"""Where a consumer group stands on a topic, from the broker: log start, log end and committed
offset of each partition. The worker resumes from here after a rebalance (streams/sequence.py),
and the operators' lag is measured from the same (kafka_edge/lag.py)."""

from __future__ import annotations

from confluent_kafka import ConsumerGroupTopicPartitions, TopicCollection
from confluent_kafka.admin import OffsetSpec

from kafka_edge.clients import AdminClient, KafkaError, TopicPartition


def resume_at(low: int, committed: int | None) -> int:
    """Where a group resumes a partition: its committed offset, or the log start when it
    committed nothing there (the worker reads from the earliest offset)."""
    return low if committed is None else max(committed, low)


def resume_positions(admin: AdminClient, group: str, topic: str, *, timeout: float = 5.0
                     ) -> dict[int, int]:
    """Where `group` resumes each partition of `topic` (see resume_at). Raises
    KafkaException when the broker does not answer."""
    low, high, committed = positions(admin, group, topic, timeout)
    return {p: resume_at(low[p], committed.get(p)) for p in high}


def patience(err: object, timeout: float) -> float:
    """How long an error may be waited out: leaders of a new or moving partition answer "not
    leader" for a moment, and a topic just created is unknown to the broker for less than a
    second; anything else is final."""
    if not isinstance(err, KafkaError):
        return 0.0
    if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
        return min(timeout, 1.5)
    if err.retriable() or err.code() in (KafkaError.NOT_LEADER_FOR_PARTITION,
                                         KafkaError.LEADER_NOT_AVAILABLE):
        return timeout
    return 0.0


def positions(admin: AdminClient, group: str, topic: str, timeout: float
              ) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Log start, log end and committed offset of each partition (committed: only those the
    group has committed)."""
    # DescribeTopics, not a Metadata request: that one creates a missing topic on brokers with
    # auto.create.topics.enable.
    described = admin.describe_topics(TopicCollection([topic]), request_timeout=timeout)
    tps = [TopicPartition(topic, p.id) for p in described[topic].result().partitions]
    low = _offsets(admin, tps, OffsetSpec.earliest(), timeout)
    high = _offsets(admin, tps, OffsetSpec.latest(), timeout)
    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
                                            request_timeout=timeout)[group]
    committed = {tp.partition: tp.offset for tp in fut.result().topic_partitions
                 if tp.error is None and tp.offset >= 0}
    return low, high, committed


def _offsets(admin: AdminClient, tps: list[TopicPartition], spec: OffsetSpec,
             timeout: float) -> dict[int, int]:
    futures = admin.list_offsets({tp: spec for tp in tps}, request_timeout=timeout)
    return {tp.partition: f.result().offset for tp, f in futures.items()}
