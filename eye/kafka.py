"""Kafka administration and producing for the CLI: topics, and events sent like a client would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import orjson
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from eye.errors import EyeError
from eye.settings import Settings

APP_KEY_HEADER = "eye-app-key"

# librdkafka's default partitioner (CRC32) differs from the Java client's and aiokafka's
# (murmur2): a session sent by both kinds of client would split across partitions, and so
# across workers. Every producer of The Eye uses the Java-compatible one.
PRODUCER_DEFAULTS = {"partitioner": "murmur2_random", "enable.idempotence": True, "acks": "all"}


class DeliveryFailed(EyeError):
    def __init__(self, failures: list[str]) -> None:
        super().__init__(f"{len(failures)} message(s) not delivered; first: {failures[0]}")
        self.failures = failures


def reader(bootstrap: str, name: str, config: dict[str, object] | None = None) -> Consumer:
    """A consumer for reading records at positions it is given: in a group of its own that
    commits nothing, so no group's offsets move."""
    return Consumer({"bootstrap.servers": bootstrap,
                     "group.id": f"eye-{name}-{uuid.uuid4().hex[:8]}",
                     "enable.auto.commit": False, "enable.auto.offset.store": False,
                     **(config or {})})


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create the input and dead-letter topics when missing; return the names created."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    existing = set(admin.list_topics(timeout=timeout).topics)
    # The control topic is co-partitioned with the input: a session's commands reach the
    # worker that holds its state.
    wanted = [NewTopic(t, settings.topic_partitions, 1)
              for t in (settings.topic, settings.dlq_topic, settings.control_topic)
              if t not in existing]
    if not wanted:
        return []
    for name, fut in admin.create_topics(wanted, request_timeout=timeout).items():
        try:
            fut.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return [t.topic for t in wanted]


def session_key(value: bytes) -> bytes | None:
    """The Kafka key a message value should carry: its session id, when it has one. The worker
    rejects an event whose key is another (`key_mismatch`)."""
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None  # sent all the same: the worker records why it is bad
    sid = doc.get("session_id") if isinstance(doc, dict) else None
    return sid.encode() if isinstance(sid, str) else None


def produce(settings: Settings, events: Iterable[dict[str, object] | bytes], *,
            app_key: str) -> int:
    """Send events (dicts, or values as they are) with the SDK and wait until the broker has
    them all; raises DeliveryFailed otherwise."""
    from eye.sdk import EyeProducer  # the SDK builds on this module

    n = 0
    with EyeProducer(settings.kafka_bootstrap, app_key=app_key, topic=settings.topic) as eye:
        for event in events:
            if isinstance(event, bytes):
                eye.send_raw(event, key=session_key(event))
            else:
                eye.send(event)
            n += 1
    return n


def _control(settings: Settings, commands: list[tuple[str | int, dict[str, object]]],
             timeout: float = 10.0) -> None:
    """Send commands on the control topic, which is co-partitioned with the input: keyed by a
    session id, or sent to a partition number, each reaches the worker that holds it."""
    producer = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap})
    failures: list[str] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    for to, body in commands:
        where: dict[str, object] = {"partition": to} if isinstance(to, int) else \
            {"key": to.encode()}
        producer.produce(settings.control_topic, value=orjson.dumps(body),
                         on_delivery=on_delivery, **where)
    if producer.flush(timeout) or failures:
        raise DeliveryFailed(failures or ["not acknowledged in time"])


def forget_session(settings: Settings, session_id: str) -> None:
    """Ask the worker that holds `session_id` to drop its table state (a deletion request)."""
    _control(settings, [(session_id, {"action": "forget_session", "session_id": session_id})])


def set_aside(settings: Settings, partition: int) -> None:
    """Ask the worker on which `partition` stands still to keep the batch it cannot read as
    error rows and read on after it."""
    _control(settings, [(partition, {"action": "set_aside", "partition": partition})])


def rebuild_sessions(settings: Settings, session_ids: list[str]) -> None:
    """Ask the workers to rebuild these sessions' state from the stored events."""
    _control(settings, [(s, {"action": "rebuild_session", "session_id": s}) for s in session_ids])
