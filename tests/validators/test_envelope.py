from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from validators import Event, Reason, Rejection
from validators.envelope import Envelope, read_envelope

Run = Callable[..., Event | Rejection]

REQUIRED = ["session_id", "category", "name", "data", "timestamp"]


def rejected(result: Event | Rejection, reason: Reason) -> Rejection:
    assert isinstance(result, Rejection), result
    assert result.reason is reason, result
    return result


def test_seed_envelope_is_read(seed: dict[str, Any]) -> None:
    envelope = read_envelope(seed)
    assert envelope == Envelope(
        "e2085be5-9137-4e4e-80b5-f1ffddc25423",
        "page interaction",
        "pageview",
        {"host": "www.example.com", "path": "/"},
        "2021-01-01 09:15:27.243860",
        None,
    )


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_missing(run: Run, seed: dict[str, Any], field: str) -> None:
    del seed[field]
    result = rejected(run(seed), Reason.MISSING_FIELD)
    assert result.detail == f"{field}: required field missing"


def test_fields_are_checked_in_a_fixed_order(run: Run) -> None:
    result = rejected(run({"data": 1}), Reason.MISSING_FIELD)
    assert result.detail == "session_id: required field missing"


@pytest.mark.parametrize("field", ["session_id", "category", "name"])
@pytest.mark.parametrize(("value", "type_name"), [(None, "null"), (1, "number"), (True, "boolean"), ([], "array"), ({}, "object")])
def test_text_fields_must_be_strings(run: Run, seed: dict[str, Any], field: str, value: object, type_name: str) -> None:
    seed[field] = value
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == f"{field}: must be a string, got {type_name}"


@pytest.mark.parametrize("field", ["session_id", "category", "name"])
@pytest.mark.parametrize("value", ["", " ", "\t\n"])
def test_text_fields_must_not_be_blank(run: Run, seed: dict[str, Any], field: str, value: str) -> None:
    seed[field] = value
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == f"{field}: must not be empty"


@pytest.mark.parametrize("field", ["session_id", "category", "name"])
def test_text_fields_are_capped_at_128_characters(run: Run, seed: dict[str, Any], field: str) -> None:
    seed[field] = "\u00e9" * 128  # characters, not bytes
    assert isinstance(run(seed), Event)
    seed[field] = "x" * 129
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == f"{field}: 129 characters is more than the limit of 128"


def test_session_id_of_128_characters_validates(run: Run, seed: dict[str, Any]) -> None:
    seed["session_id"] = "s" * 128
    assert isinstance(run(seed), Event)


@pytest.mark.parametrize(("value", "type_name"), [(None, "null"), ([], "array"), ("{}", "string"), (3, "number")])
def test_data_must_be_an_object(run: Run, seed: dict[str, Any], value: object, type_name: str) -> None:
    seed["data"] = value
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == f"data: must be an object, got {type_name}"


def test_event_id_is_optional(run: Run, seed: dict[str, Any]) -> None:
    result = run(seed)
    assert isinstance(result, Event) and result.event_id is None
    seed["event_id"] = None
    result = run(seed)
    assert isinstance(result, Event) and result.event_id is None


@pytest.mark.parametrize("text", ["0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10", "0B6F3C1E-8A57-4A53-9A2E-3F1C7D2B9E10"])
def test_event_id_is_parsed(run: Run, seed: dict[str, Any], text: str) -> None:
    seed["event_id"] = text
    result = run(seed)
    assert isinstance(result, Event)
    assert result.event_id == uuid.UUID("0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-a-uuid",
        "0b6f3c1e8a574a539a2e3f1c7d2b9e10",
        "{0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10}",
        "urn:uuid:0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10",
        "0x6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10",
        "0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9_10",
        "0b6f3c1e-8a57-4a53-9a2e-3f1c7d2b9e10\n",
        "0b6f3c1g-8a57-4a53-9a2e-3f1c7d2b9e10",
    ],
)
def test_event_id_must_be_a_canonical_uuid(run: Run, seed: dict[str, Any], text: str) -> None:
    seed["event_id"] = text
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == "event_id: must be a UUID in 8-4-4-4-12 hex form"


def test_event_id_must_be_a_string(run: Run, seed: dict[str, Any]) -> None:
    seed["event_id"] = 12345
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == "event_id: must be a UUID string, got number"


def test_unknown_top_level_fields_are_ignored(run: Run, seed: dict[str, Any]) -> None:
    seed["sdk_version"] = "1.2.3"
    seed["extra"] = {"nested": [1, 2, 3]}
    result = run(seed)
    assert isinstance(result, Event)
    assert result.data == {"host": "www.example.com", "path": "/"}
