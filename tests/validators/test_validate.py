from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson
import pytest

import validators
from validators import Event, Policy, Reason, Rejection, validate
from validators.envelope import Envelope

Run = Callable[..., Event | Rejection]

SEED_BYTES = (
    b'{"session_id": "e2085be5-9137-4e4e-80b5-f1ffddc25423", "category": "page interaction", '
    b'"name": "pageview", "data": {"host": "www.example.com", "path": "/"}, '
    b'"timestamp": "2021-01-01 09:15:27.243860"}'
)

# Reasons that only the worker produces; validate() must never return them for any input.
WORKER_ONLY = {Reason.UNAUTHORIZED_APP, Reason.INTERNAL_ERROR, Reason.SINK_FAILED,
               Reason.DUPLICATE_EVENT, Reason.KEY_MISMATCH, Reason.UNREADABLE_BATCH}

STRICT = Policy(unknown_event_types="reject")

# One message per reason validate() can give, checked against the closed set below.
EXAMPLES: list[tuple[Reason, bytes | None]] = [
    (Reason.MALFORMED_JSON, b'{"session_id": '),
    (Reason.MALFORMED_JSON, None),
    (Reason.NOT_AN_OBJECT, b"[1, 2]"),
    (Reason.MISSING_FIELD, SEED_BYTES.replace(b'"session_id"', b'"session"')),
    (Reason.INVALID_FIELD, SEED_BYTES.replace(b'"/"', b"7")),
    (Reason.PAYLOAD_TOO_LARGE, b" " * 65537),
    (Reason.TOO_DEEP, b'{"a":' * 40 + b"1" + b"}" * 40),
    (Reason.INVALID_ENCODING, b'{"session_id": "\xc3"}'),
    (Reason.UNKNOWN_EVENT_TYPE, SEED_BYTES.replace(b"pageview", b"pagefold")),
    (Reason.INVALID_TIMESTAMP, SEED_BYTES.replace(b"2021-01-01 09:15", b"2021-01-41 09:15")),
    (Reason.TIMESTAMP_IN_FUTURE, SEED_BYTES.replace(b"2021-01-01 09:15", b"2021-01-02 09:15")),
    (Reason.TIMESTAMP_TOO_OLD, SEED_BYTES.replace(b"2021-01-01 09:15", b"0001-01-01 09:15")),
]


def test_seed_event_validates(received_at: datetime) -> None:
    result = validate(SEED_BYTES, received_at=received_at, policy=Policy())
    assert result == Event(
        session_id="e2085be5-9137-4e4e-80b5-f1ffddc25423",
        category="page interaction",
        name="pageview",
        data={"host": "www.example.com", "path": "/"},
        timestamp=datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=timezone.utc),
        event_id=None,
    )


def test_full_event_validates(run: Run, seed: dict[str, Any]) -> None:
    seed["event_id"] = "0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10"
    seed["category"] = "form interaction"
    seed["name"] = "submit"
    seed["data"] = {"host": "www.example.com", "path": "/signup", "form": {"email": "a@example.com"}}
    seed["timestamp"] = "2021-01-01T10:15:27.243860+01:00"
    result = run(seed, STRICT)
    assert isinstance(result, Event)
    assert result.event_id == uuid.UUID("0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10")
    assert result.timestamp == datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=timezone.utc)


@pytest.mark.parametrize(("reason", "value"), EXAMPLES, ids=[f"{r.value}-{i}" for i, (r, _) in enumerate(EXAMPLES)])
def test_each_reason(received_at: datetime, reason: Reason, value: bytes | None) -> None:
    result = validate(value, received_at=received_at, policy=STRICT)
    assert isinstance(result, Rejection), result
    assert result.reason is reason, result
    assert result.detail


def test_examples_cover_every_reason_validate_can_give() -> None:
    assert {reason for reason, _ in EXAMPLES} == set(Reason) - WORKER_ONLY


@pytest.mark.parametrize("value", [None, b""])
def test_tombstone_and_empty_value(run: Run, value: bytes | None) -> None:
    assert run(value) == Rejection(
        Reason.MALFORMED_JSON, "value: empty message (or a tombstone), expected a JSON object"
    )


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(b"[]", "array"), (b'"x"', "string"), (b"1", "number"), (b"null", "null"), (b"true", "boolean")],
)
def test_top_level_must_be_an_object(run: Run, value: bytes, type_name: str) -> None:
    assert run(value) == Rejection(Reason.NOT_AN_OBJECT, f"value: expected a JSON object, got {type_name}")


@pytest.mark.parametrize(
    "value",
    [b"{", b"{'a': 1}", b'{"a": NaN}', b'{"a": 1e999}', b'{"a": "\\ud800"}', b"{} {}", b" "],
)
def test_malformed_json_carries_the_parser_message(run: Run, value: bytes) -> None:
    result = run(value)
    assert isinstance(result, Rejection) and result.reason is Reason.MALFORMED_JSON
    assert result.detail.startswith("value: not valid JSON (")


def test_data_is_the_parsed_object_unchanged(run: Run, seed: dict[str, Any]) -> None:
    seed["data"].update({"n": 1, "big": 2**63 - 1, "f": 0.1, "nested": {"l": [None, True]}})
    result = run(seed)
    assert isinstance(result, Event)
    assert result.data == seed["data"]


def test_a_bug_becomes_internal_error_instead_of_raising(
    monkeypatch: pytest.MonkeyPatch, run: Run, seed: dict[str, Any]
) -> None:
    def broken(doc: dict[str, Any]) -> Envelope:
        raise RuntimeError("boom")

    # The package re-exports the function under the module's name, so fetch the module itself.
    module = importlib.import_module("validators.validate")
    monkeypatch.setattr(module, "read_envelope", broken)
    assert run(seed) == Rejection(Reason.INTERNAL_ERROR, "value: validator failed (RuntimeError)")


def test_a_bug_is_logged_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, run: Run,
    seed: dict[str, Any]
) -> None:
    def broken(doc: dict[str, Any]) -> Envelope:
        raise RuntimeError("boom")

    module = importlib.import_module("validators.validate")
    monkeypatch.setattr(module, "read_envelope", broken)
    with caplog.at_level(logging.ERROR, logger="validators"):
        run(seed)
    [record] = caplog.records
    assert record.name == "validators.validate" and record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "boom" in caplog.text and "broken" in caplog.text  # the message and where it rose


def test_public_interface() -> None:
    assert sorted(validators.__all__) == ["Event", "EventType", "Policy", "Reason", "Rejection", "registry", "validate"]


def test_bytes_roundtrip_matches_dict_roundtrip(run: Run, seed: dict[str, Any]) -> None:
    assert run(orjson.dumps(seed)) == run(SEED_BYTES)
