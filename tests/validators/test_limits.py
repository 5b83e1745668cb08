from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from validators import Event, Policy, Reason, Rejection
from validators.limits import nul_character, too_deep, too_large

Run = Callable[..., Event | Rejection]


def nested(depth: int) -> dict[str, Any]:
    """A data object that makes the whole event exactly `depth` levels deep (envelope is 1)."""
    inner: dict[str, Any] = {"host": "h", "path": "/"}
    for _ in range(depth - 2):
        inner = {"host": "h", "path": "/", "child": inner}
    return inner


def rejected(result: Event | Rejection, reason: Reason) -> Rejection:
    assert isinstance(result, Rejection), result
    assert result.reason is reason, result
    return result


# --- size -------------------------------------------------------------------------------


def test_size_at_the_limit_passes(run: Run, seed: dict[str, Any]) -> None:
    value = orjson.dumps(seed)
    assert isinstance(run(value, Policy(max_message_bytes=len(value))), Event)


def test_size_over_the_limit_is_payload_too_large(run: Run, seed: dict[str, Any]) -> None:
    value = orjson.dumps(seed)
    result = rejected(run(value, Policy(max_message_bytes=len(value) - 1)), Reason.PAYLOAD_TOO_LARGE)
    assert result.detail == f"value: {len(value)} bytes is more than the limit of {len(value) - 1}"


def test_size_is_checked_before_parsing(run: Run) -> None:
    rejected(run(b"\xff" * 70000), Reason.PAYLOAD_TOO_LARGE)


def test_too_large_helper() -> None:
    assert too_large(b"abc", 3) is None
    assert too_large(b"abcd", 3) is not None


# --- depth ------------------------------------------------------------------------------


def test_depth_at_the_limit_passes(run: Run, seed: dict[str, Any]) -> None:
    seed["data"] = nested(32)
    assert isinstance(run(seed), Event)


def test_depth_over_the_limit_is_too_deep(run: Run, seed: dict[str, Any]) -> None:
    seed["data"] = nested(33)
    result = rejected(run(seed), Reason.TOO_DEEP)
    assert result.detail == "value: nesting is deeper than the limit of 32"


def test_depth_counts_arrays(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["list"] = [[[]]]  # depth 2 + 3
    assert isinstance(run(seed, Policy(max_depth=5)), Event)
    rejected(run(seed, Policy(max_depth=4)), Reason.TOO_DEEP)


def test_brackets_inside_strings_do_not_count(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["note"] = "[[[[{{{{" * 20
    assert isinstance(run(seed), Event)


def test_wide_but_shallow_document_passes(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["rows"] = [{"a": []} for _ in range(500)]
    assert isinstance(run(seed), Event)


@pytest.mark.parametrize("depth", [1025, 5000, 60000])
def test_depth_beyond_the_parser_limit_is_too_deep(run: Run, depth: int) -> None:
    # orjson refuses these itself; the rejection must still say too_deep, not malformed_json.
    value = b"[" * depth + b"]" * depth
    rejected(run(value, Policy(max_message_bytes=2 * depth)), Reason.TOO_DEEP)


def test_unclosed_deep_nesting_is_too_deep(run: Run) -> None:
    rejected(run(b'{"a":' * 2000), Reason.TOO_DEEP)


def test_deep_array_top_level_is_too_deep_not_not_an_object(run: Run) -> None:
    rejected(run(b"[" * 40 + b"]" * 40), Reason.TOO_DEEP)


@pytest.mark.parametrize("value", [b'"' + b"[" * 40 + b'"', b'"' + b"{" * 40 + b'"'])
def test_brackets_in_a_top_level_string_are_not_depth(run: Run, value: bytes) -> None:
    rejected(run(value), Reason.NOT_AN_OBJECT)


def test_too_deep_helper_walks_only_when_brackets_could_exceed() -> None:
    doc = {"a": [[{}]]}
    value = orjson.dumps(doc)
    assert too_deep(value, doc, 4) is None
    assert too_deep(value, doc, 3) is not None


# --- encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        b'{"session_id": "\xff"}',
        b"\xc3\x28",
        b'{"a": "\xed\xa0\x80"}',  # an encoded surrogate is not UTF-8
        "{}".encode("utf-16"),
    ],
)
def test_non_utf8_is_invalid_encoding(run: Run, value: bytes) -> None:
    result = rejected(run(value), Reason.INVALID_ENCODING)
    assert result.detail.startswith("value: not UTF-8 (byte ")


def test_latin1_text_is_invalid_encoding(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["path"] = "/caf\u00e9"
    value = orjson.dumps(seed).decode().encode("latin-1")
    rejected(run(value), Reason.INVALID_ENCODING)


def test_a_byte_order_mark_is_invalid_encoding_and_says_so(run: Run,
                                                          seed: dict[str, Any]) -> None:
    # Some encoders (Windows tools, .NET's UTF8Encoding(true)) write one; RFC 8259 forbids it
    # on the wire. "not valid JSON" would send the producer looking in the wrong place.
    result = rejected(run(b"\xef\xbb\xbf" + orjson.dumps(seed)), Reason.INVALID_ENCODING)
    assert "byte order mark" in result.detail


def test_utf8_text_is_fine(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["path"] = "/caf\u00e9/\U0001f600"
    result = run(seed)
    assert isinstance(result, Event)
    assert result.data["path"] == "/caf\u00e9/\U0001f600"


# --- NUL --------------------------------------------------------------------------------


def test_nul_in_a_value_names_the_field(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["path"] = "/a\x00b"
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == "data.path: contains \\u0000, which PostgreSQL cannot store"


def test_nul_in_a_key_names_the_key(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["bad\x00key"] = 1
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail == "data.bad\\u0000key: key contains \\u0000, which PostgreSQL cannot store"


def test_nul_inside_arrays_names_the_index(run: Run, seed: dict[str, Any]) -> None:
    seed["data"]["tags"] = ["ok", {"x": ["fine", "n\x00"]}]
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail.startswith("data.tags[1].x[1]: contains \\u0000")


def test_nul_in_the_envelope_is_rejected(run: Run, seed: dict[str, Any]) -> None:
    seed["session_id"] = "abc\x00"
    result = rejected(run(seed), Reason.INVALID_FIELD)
    assert result.detail.startswith("session_id: contains \\u0000")


def test_nul_in_an_ignored_top_level_field_is_still_rejected(run: Run, seed: dict[str, Any]) -> None:
    seed["sdk"] = "\x00"
    rejected(run(seed), Reason.INVALID_FIELD)


def test_escaped_backslash_before_u0000_is_not_nul(run: Run, seed: dict[str, Any]) -> None:
    # The JSON text "\\u0000" is a backslash followed by "u0000", which PostgreSQL stores fine.
    seed["data"]["path"] = "/\\u0000"
    value = orjson.dumps(seed)
    assert b"\\u0000" in value
    assert nul_character(value, seed) is None
    result = run(value)
    assert isinstance(result, Event)
    assert result.data["path"] == "/\\u0000"


def test_raw_nul_byte_is_malformed_json(run: Run) -> None:
    rejected(run(b'{"a": "\x00"}'), Reason.MALFORMED_JSON)
