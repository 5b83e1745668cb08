"""Events sent like a client would, for the commands that send them (`eye demo`, `eye produce`)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from base.settings import Settings
from eye.sdk import EyeProducer


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
    n = 0
    with EyeProducer(settings.kafka_bootstrap, app_key=app_key, topic=settings.topic) as eye:
        for event in events:
            if isinstance(event, bytes):
                eye.send_raw(event, key=session_key(event))
            else:
                eye.send(event)
            n += 1
    return n
