"""The Python SDK: send events to The Eye's topic in a few lines, without waiting for them.

    from eye.sdk import EyeProducer, event

    with EyeProducer("127.0.0.1:9092", app_key=APP_KEY) as eye:
        eye.send(event(session_id, "page interaction", "pageview",
                       {"host": "www.example.com", "path": "/"}))

`send` only queues: librdkafka batches messages (linger.ms) and delivers them in the
background. Failures come back through `on_error` and are raised by `flush()` and `close()`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson
from base.errors import EyeError
from kafka_edge.clients import APP_KEY_HEADER, DeliveryFailed, KafkaError, Message, producer

if TYPE_CHECKING:
    from validators import Policy

__all__ = ["DeliveryFailed", "EyeProducer", "InvalidEvent", "event"]


class InvalidEvent(EyeError):
    """The local check found an event the worker would reject; it was not sent."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def event(session_id: str, category: str, name: str, data: Mapping[str, Any], *,
          timestamp: datetime | None = None, event_id: uuid.UUID | None = None
          ) -> dict[str, Any]:
    """An event envelope; the timestamp defaults to now, and a new event id is assigned."""
    at = (timestamp or datetime.now(UTC)).astimezone(UTC)
    return {"session_id": session_id, "category": category, "name": name, "data": dict(data),
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "event_id": str(event_id or uuid.uuid4())}


class EyeProducer:
    """A confluent-kafka producer set up the way The Eye needs.

    Keyed by session id (a session stays on one partition, in order), the app key in the
    `eye-app-key` header, acks=all with idempotence. `on_delivered(partition, offset)` hears
    where each acknowledged message was written, which its row will name. With `check=True`
    every event is first run through the worker's own validators (with the default limits, or
    the `Policy` given as `check`), and one the worker would reject raises InvalidEvent
    instead of being sent.
    """

    def __init__(self, bootstrap: str, *, app_key: str, topic: str = "eye-events",
                 linger_ms: float = 5.0, delivery_timeout: float = 30.0, check: bool | Policy = False,
                 on_error: Callable[[str], None] | None = None,
                 on_delivered: Callable[[int, int], None] | None = None,
                 config: Mapping[str, Any] | None = None) -> None:
        self.topic = topic
        self._headers = [(APP_KEY_HEADER, app_key.encode())]
        self._on_error = on_error
        self._on_delivered = on_delivered
        self._failures: list[str] = []
        self._delivered = 0
        self._check = _local_check(None if check is True else check) if check else None
        self._producer = producer(bootstrap, {
            **(config or {}),
            "linger.ms": linger_ms,
            "message.timeout.ms": int(delivery_timeout * 1000),
        })

    @property
    def delivered(self) -> int:
        """Messages the broker has acknowledged so far."""
        return self._delivered

    def send(self, event: Mapping[str, Any]) -> None:
        """Queue one event (a dict); returns at once unless the local queue is full."""
        value = orjson.dumps(event)
        if self._check is not None:
            self._check(value)
        sid = event.get("session_id")
        self.send_raw(value, key=sid.encode() if isinstance(sid, str) else None)

    def send_raw(self, value: bytes, *, key: bytes | None) -> None:
        """Queue a message value as it is: for replaying files and for tests of bad input."""
        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, headers=self._headers,
                                       on_delivery=self._delivery)
                break
            except BufferError:  # the local queue is full: let acks drain it
                self._producer.poll(0.1)
        self._producer.poll(0)

    def poll(self, timeout: float = 0) -> None:
        """Serve delivery callbacks (send does this too)."""
        self._producer.poll(timeout)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued event is acknowledged; raise DeliveryFailed for any that
        failed since the last flush."""
        left = self._producer.flush() if timeout is None else self._producer.flush(timeout)
        failures, self._failures = self._failures, []
        if left:
            failures.append(f"{left} message(s) still queued after {timeout}s")
        if failures:
            raise DeliveryFailed(failures)

    def close(self, timeout: float | None = None) -> None:
        self.flush(timeout)

    def __enter__(self) -> EyeProducer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:  # do not hide the caller's error behind a delivery failure
            try:
                self.close()
            except DeliveryFailed:
                pass

    def _delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self._delivered += 1
            if self._on_delivered is not None:
                self._on_delivered(msg.partition(), msg.offset())
            return
        self._failures.append(err.str())
        if self._on_error is not None:
            self._on_error(err.str())


def _local_check(policy: Policy | None) -> Callable[[bytes], None]:
    # Imported here: the validators are only needed by producers that ask for the check.
    from validators import Policy, Rejection, validate

    policy = policy or Policy()

    def check(value: bytes) -> None:
        outcome = validate(value, received_at=datetime.now(UTC), policy=policy)
        if isinstance(outcome, Rejection):
            raise InvalidEvent(outcome.reason.value, outcome.detail)

    return check
