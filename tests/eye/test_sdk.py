"""The Python SDK against the real broker: keys, headers, acks, failures and the local check."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from base.settings import Settings
from eye.sdk import EyeProducer, InvalidEvent, event
from kafka_edge.clients import APP_KEY_HEADER, DeliveryFailed
from tests.fixtures.kafka import murmur2_partition, read_topic
from validators import Event, Policy, validate

SID = "e2085be5-9137-4e4e-80b5-f1ffddc25423"
QUIET = {"log_level": 0}  # no "connection refused" lines from librdkafka for a broker that is absent on purpose


def test_event_builds_an_envelope_the_validators_accept() -> None:
    e = event(SID, "page interaction", "pageview", {"host": "www.example.com", "path": "/"},
              timestamp=datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=UTC))
    assert e["timestamp"] == "2021-01-01T09:15:27.243860Z"
    outcome = validate(orjson.dumps(e), received_at=datetime.now(UTC), policy=Policy())
    assert isinstance(outcome, Event)
    assert str(outcome.event_id) == e["event_id"]


def test_sent_events_are_keyed_by_session_with_the_app_key_header(topics: Settings) -> None:
    events = [event(f"session-{i % 6}", "page interaction", "pageview",
                    {"host": "h", "path": f"/{i}"}) for i in range(12)]
    with EyeProducer(topics.kafka_bootstrap, app_key="eye_k", topic=topics.topic) as eye:
        for e in events:
            eye.send(e)
    assert eye.delivered == len(events)
    records = read_topic(topics, len(events))
    assert all(r.headers[APP_KEY_HEADER] == b"eye_k" for r in records)
    assert all(r.key == orjson.loads(r.value)["session_id"].encode() for r in records)
    # The Java client's partitioner: a session lands where a Java or aiokafka producer puts it.
    assert all(r.partition == murmur2_partition(r.key, topics.topic_partitions) for r in records)


def test_failed_deliveries_reach_on_error_and_are_raised_by_flush() -> None:
    seen: list[str] = []
    eye = EyeProducer("127.0.0.1:1", app_key="k", delivery_timeout=1.0, on_error=seen.append,
                      config=QUIET)
    eye.send(event(SID, "page interaction", "pageview", {"host": "h", "path": "/"}))
    with pytest.raises(DeliveryFailed) as caught:
        eye.flush(10)
    assert len(caught.value.failures) == 1
    assert len(seen) == 1 and "timed out" in seen[0].lower()
    eye.flush(1)  # failures are reported once


def test_the_local_check_refuses_what_the_worker_would_reject() -> None:
    eye = EyeProducer("127.0.0.1:1", app_key="k", check=True, config=QUIET)
    with pytest.raises(InvalidEvent) as caught:
        eye.send({"session_id": SID, "category": "page interaction", "name": "pageview",
                  "data": {"host": "h"}, "timestamp": "2021-01-01T00:00:00Z"})
    assert caught.value.reason == "missing_field"
    assert "data.path" in caught.value.detail
    with pytest.raises(InvalidEvent):
        eye.send({"session_id": SID, "category": "page interaction", "name": "pageview",
                  "data": {"host": "h", "path": "/"}, "timestamp": "yesterday"})
    eye.flush(1)  # nothing was queued
