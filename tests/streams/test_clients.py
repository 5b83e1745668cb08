"""What client applications really send, through the real broker and worker: every compression
codec, kcat, keys that are not the session id, and odd messages. Each message is one row."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import pytest
from confluent_kafka import Producer

from base.settings import Settings
from kafka_edge.clients import APP_KEY_HEADER, PRODUCER_DEFAULTS
from tests.fixtures.rows import wait_for_rows
from tests.fixtures.stack import WorkerProcess

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def event(sid: str, path: str) -> bytes:
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return orjson.dumps({"session_id": sid, "category": "page interaction", "name": "pageview",
                         "data": {"host": "www.example.com", "path": path}, "timestamp": at})


def stored_paths(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT data->>'path', count(*) FROM events GROUP BY 1")
                    .fetchall())


def error_reasons(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT reason, count(*) FROM errors GROUP BY 1").fetchall())


def test_every_codec_from_confluent_kafka_and_kcat(worker: WorkerProcess, app_key: str) -> None:
    settings = worker.settings
    sent = 0
    for codec in CODECS:
        # One producer per codec: a batch carries one codec, and each must be readable.
        p = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap,
                      "compression.type": codec, "linger.ms": 20})
        for i in range(20):
            sid = str(uuid.uuid4())
            p.produce(settings.topic, key=sid.encode(), value=event(sid, f"/librdkafka/{codec}"),
                      headers=[(APP_KEY_HEADER, app_key.encode())])
            sent += 1
        assert p.flush(30) == 0
    for codec in CODECS:
        lines = []
        for i in range(5):
            sid = str(uuid.uuid4())
            lines.append(f"{sid}|{event(sid, f'/kcat/{codec}').decode()}")
        kcat = subprocess.run(
            ["kcat", "-P", "-b", settings.kafka_bootstrap, "-t", settings.topic, "-K", "|",
             "-z", codec, "-H", f"{APP_KEY_HEADER}={app_key}",
             "-X", "partitioner=murmur2_random"],
            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
        assert kcat.returncode == 0, kcat.stderr
        sent += len(lines)
    wait_for_rows(settings.dsn, sent)
    expected = {f"/librdkafka/{c}": 20 for c in CODECS} | {f"/kcat/{c}": 5 for c in CODECS}
    assert stored_paths(settings.dsn) == expected
    assert error_reasons(settings.dsn) == {}
    assert worker.alive()


def kcat(settings: Settings, *args: bytes | str, value: bytes) -> None:
    proc = subprocess.run(["kcat", "-P", "-b", settings.kafka_bootstrap, "-t", settings.topic,
                           "-X", "partitioner=murmur2_random", *args],
                          input=value, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_keys_other_than_the_session_id_are_refused_never_split(worker: WorkerProcess,
                                                                 app_key: str) -> None:
    settings = worker.settings
    header = [(APP_KEY_HEADER, app_key.encode())]
    p = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap})
    sid = str(uuid.uuid4())
    p.produce(settings.topic, key=sid.encode(), value=event(sid, "/keyed"), headers=header)
    p.produce(settings.topic, value=event(sid, "/no-key"), headers=header)
    p.produce(settings.topic, key=b"user-42", value=event(sid, "/user-key"), headers=header)
    p.produce(settings.topic, key=sid.upper().encode(), value=event(sid, "/upper"),
              headers=header)
    assert p.flush(30) == 0
    wait_for_rows(settings.dsn, 4)
    assert stored_paths(settings.dsn) == {"/keyed": 1}
    with psycopg.connect(settings.dsn) as conn:
        details = [d for (d,) in conn.execute(
            "SELECT detail FROM errors WHERE reason = 'key_mismatch' ORDER BY \"offset\"")]
    assert len(details) == 3
    assert any(d.startswith("no Kafka key") for d in details)
    assert any("'user-42'" in d for d in details)
    assert worker.alive()


def test_odd_messages_each_end_as_one_row(worker: WorkerProcess, app_key: str) -> None:
    settings = worker.settings
    header = f"{APP_KEY_HEADER}={app_key}"
    sid = str(uuid.uuid4())
    p = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap,
                  "message.max.bytes": 2_000_000})
    p.produce(settings.topic, key=sid.encode(), value=None,  # a tombstone
              headers=[(APP_KEY_HEADER, app_key.encode())])
    p.produce(settings.topic, key=sid.encode(), value=b"",
              headers=[(APP_KEY_HEADER, app_key.encode())])
    many = [(APP_KEY_HEADER, app_key.encode())] + [(f"h{i}", b"v") for i in range(1000)]
    p.produce(settings.topic, key=sid.encode(), value=event(sid, "/many-headers"), headers=many)
    # Just under the broker's limit (message.max.bytes, 1,048,588 by default, batch included).
    big = orjson.dumps({"session_id": sid, "pad": "x" * 1_040_000})
    p.produce(settings.topic, key=sid.encode(), value=big,
              headers=[(APP_KEY_HEADER, app_key.encode())])
    assert p.flush(30) == 0
    # Header names that are not UTF-8, from a client that sends any bytes.
    kcat(settings, "-K", "|", "-H", header, "-H", b"\xff\xfe-name=v",
         value=f"{sid}|".encode() + event(sid, "/odd-header-name"))
    wait_for_rows(settings.dsn, 5)
    # Its headers cannot be read by any Python client here, the app key among them: it is
    # kept as an error row, with its payload, and the partition goes on by itself.
    assert stored_paths(settings.dsn) == {"/many-headers": 1}
    assert error_reasons(settings.dsn) == {"malformed_json": 2, "payload_too_large": 1,
                                           "unreadable_batch": 1}
    with psycopg.connect(settings.dsn) as conn:
        sizes = conn.execute("SELECT reason, octet_length(payload) FROM errors WHERE reason "
                             "<> 'unreadable_batch' ORDER BY \"offset\"").fetchall()
        odd = conn.execute("SELECT payload, detail FROM errors WHERE reason = "
                           "'unreadable_batch'").fetchone()
        kept = conn.execute("SELECT headers FROM errors WHERE reason = 'payload_too_large'"
                            ).fetchone()
    assert sizes == [("malformed_json", None), ("malformed_json", 0),
                     ("payload_too_large", len(big))]
    assert kept is not None and APP_KEY_HEADER not in kept[0]
    assert odd is not None and b"/odd-header-name" in odd[0] and "not UTF-8" in odd[1]
    send = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": settings.kafka_bootstrap})
    send.produce(settings.topic, key=sid.encode(), value=event(sid, "/after"),
                 headers=[(APP_KEY_HEADER, app_key.encode())])
    assert send.flush(30) == 0
    wait_for_rows(settings.dsn, 6)
    assert stored_paths(settings.dsn) == {"/many-headers": 1, "/after": 1}
    assert (worker.health() or {}).get("stalled") == []
    assert worker.alive()


def test_a_dead_letter_leaves_out_a_payload_too_large_for_one_record() -> None:
    from store.rows import ErrorRow
    from streams.to_rows import DEAD_LETTER_MAX_PAYLOAD, dead_letter, source

    src = source(topic="t", partition=0, offset=1, payload=b"x" * 1_040_000, headers=[],
                 received_at=datetime.now(UTC))
    letter = orjson.loads(dead_letter(ErrorRow("payload_too_large", "d", None, src)))
    assert letter["payload_base64"] is None and letter["payload_omitted_bytes"] == 1_040_000
    small = source(topic="t", partition=0, offset=2, payload=b"x" * DEAD_LETTER_MAX_PAYLOAD,
                   headers=[], received_at=datetime.now(UTC))
    letter = orjson.loads(dead_letter(ErrorRow("payload_too_large", "d", None, small)))
    assert len(letter["payload_base64"]) > DEAD_LETTER_MAX_PAYLOAD
