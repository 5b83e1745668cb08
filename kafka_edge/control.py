"""Commands to the workers, sent on the control topic: the sending side (the worker's agent
that obeys them is streams/control.py)."""

from __future__ import annotations

import orjson

from base.settings import Settings
from kafka_edge.clients import DeliveryFailed, producer


def _control(settings: Settings, commands: list[tuple[str | int, dict[str, object]]],
             timeout: float = 10.0) -> None:
    """Send commands on the control topic, which is co-partitioned with the input: keyed by a
    session id, or sent to a partition number, each reaches the worker that holds it."""
    sender = producer(settings.kafka_bootstrap)
    failures: list[str] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    for to, body in commands:
        where: dict[str, object] = {"partition": to} if isinstance(to, int) else \
            {"key": to.encode()}
        sender.produce(settings.control_topic, value=orjson.dumps(body),
                       on_delivery=on_delivery, **where)
    if sender.flush(timeout) or failures:
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
