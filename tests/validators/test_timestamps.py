from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from validators import Event, Policy, Reason, Rejection
from validators.timestamps import in_future, parse_timestamp, too_old

Run = Callable[..., Event | Rejection]
UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-01 09:15:27.243860", datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=UTC)),
        ("2021-01-01T09:15:27.243860", datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=UTC)),
        ("2021-01-01T09:15:27Z", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("2021-01-01T09:15Z", datetime(2021, 1, 1, 9, 15, tzinfo=UTC)),
        ("2021-01-01T09:15:27.5Z", datetime(2021, 1, 1, 9, 15, 27, 500000, tzinfo=UTC)),
        ("2021-01-01T09:15:27,5Z", datetime(2021, 1, 1, 9, 15, 27, 500000, tzinfo=UTC)),
        ("2021-01-01T09:15:27.123456789Z", datetime(2021, 1, 1, 9, 15, 27, 123456, tzinfo=UTC)),
        ("2021-01-01T10:15:27+01:00", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("2021-01-01T14:45:27+0530", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("2021-01-01T04:15:27-05", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("2021-01-01T09:15:27-00:00", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("2021-01-02T00:15:27+15:00", datetime(2021, 1, 1, 9, 15, 27, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_accepted_forms_normalise_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert isinstance(parsed, datetime)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2021-01-01",  # a date is not a moment
        "2021-01-01T09",
        "20210101T091527Z",
        "2021-W01-1T09:15:27",
        "2021-01-01x09:15:27",
        "2021-01-01t09:15:27z",
        "2021-01-01T09:15:27.",
        "2021-01-01T09:15:27.0123456789Z",
        " 2021-01-01T09:15:27Z",
        "2021-01-01T09:15:27Z ",
        "2021-01-01T09:15:27Z\n",
        "\uff12\uff10\uff12\uff11-01-01T09:15:27",  # full-width digits
        # fromisoformat alone would accept these
        "2021-01-01 09:-15:27.243860",
        "2021-01-01T09:15:27_Z",
        "2021-01-01T09:15:27,-0130",
        "2021-01-01 09:15:27:243860",
        "2021-01-01T09:15:247Z",
        "2021-01-01T09:15:27+05:30:15",
        "1617262527",
    ],
)
def test_unparsable_strings_are_invalid(text: str) -> None:
    result = parse_timestamp(text)
    assert isinstance(result, Rejection)
    assert result.reason is Reason.INVALID_TIMESTAMP
    assert result.detail.startswith("timestamp: ")
    assert "is not an ISO 8601 date-time" in result.detail


@pytest.mark.parametrize(
    "text",
    [
        "0000-01-01T00:00:00",  # year 0
        "2021-13-01T00:00:00",  # month 13
        "2021-02-30T00:00:00",
        "2021-01-01T24:00:00",
        "2021-01-01T23:59:60Z",  # leap seconds do not exist in Python
        "2021-01-01T09:15:27+24:00",
        "0001-01-01T00:00:00+01:00",  # UTC would be year 0
        "9999-12-31T23:59:59-01:00",  # UTC would be year 10000
    ],
)
def test_out_of_range_is_invalid(text: str) -> None:
    result = parse_timestamp(text)
    assert isinstance(result, Rejection)
    assert result.reason is Reason.INVALID_TIMESTAMP
    assert "is out of range" in result.detail


def test_year_10000_is_invalid() -> None:
    result = parse_timestamp("10000-01-01T00:00:00Z")
    assert isinstance(result, Rejection) and result.reason is Reason.INVALID_TIMESTAMP


@pytest.mark.parametrize(("value", "type_name"), [(1609492527, "number"), (1609492527.5, "number"), (None, "null"), ([], "array"), (True, "boolean")])
def test_non_strings_are_invalid(value: object, type_name: str) -> None:
    result = parse_timestamp(value)
    assert result == Rejection(
        Reason.INVALID_TIMESTAMP, f"timestamp: must be an ISO 8601 date-time string, got {type_name}"
    )


def test_long_garbage_is_not_echoed_in_full() -> None:
    result = parse_timestamp("9" * 10000)
    assert isinstance(result, Rejection)
    assert len(result.detail) < 200


def test_event_timestamp_is_utc(run: Run, seed: dict[str, Any]) -> None:
    seed["timestamp"] = "2021-01-01T10:15:27.243860+01:00"
    result = run(seed)
    assert isinstance(result, Event)
    assert result.timestamp == datetime(2021, 1, 1, 9, 15, 27, 243860, tzinfo=UTC)
    assert result.timestamp.utcoffset() == timedelta(0)


def test_timestamp_missing_vs_null(run: Run, seed: dict[str, Any]) -> None:
    seed["timestamp"] = None
    result = run(seed)
    assert isinstance(result, Rejection) and result.reason is Reason.INVALID_TIMESTAMP


# --- clock skew -------------------------------------------------------------------------

NOW = datetime(2021, 1, 1, 12, tzinfo=UTC)
SKEW = timedelta(seconds=60)


def test_skew_up_to_the_limit_is_allowed() -> None:
    assert in_future(NOW + SKEW, NOW, SKEW) is None
    assert in_future(NOW - timedelta(days=3650), NOW, SKEW) is None


def test_skew_beyond_the_limit_is_in_future() -> None:
    result = in_future(NOW + SKEW + timedelta(microseconds=1), NOW, SKEW)
    assert result == Rejection(
        Reason.TIMESTAMP_IN_FUTURE, "timestamp: 60.000001s ahead of receipt, more than the allowed 60s"
    )


def test_naive_received_at_means_utc() -> None:
    assert in_future(NOW + timedelta(seconds=61), NOW.replace(tzinfo=None), SKEW) is not None
    assert in_future(NOW + timedelta(seconds=59), NOW.replace(tzinfo=None), SKEW) is None


def test_future_event_is_rejected_by_validate(seed: dict[str, Any]) -> None:
    from validators import validate
    import orjson

    received = datetime(2021, 1, 1, 9, 15, tzinfo=UTC)
    value = orjson.dumps(seed)  # 09:15:27.24, so 27.24s ahead
    assert isinstance(validate(value, received_at=received, policy=Policy()), Event)
    result = validate(value, received_at=received, policy=Policy(max_clock_skew=timedelta(seconds=10)))
    assert isinstance(result, Rejection) and result.reason is Reason.TIMESTAMP_IN_FUTURE


def test_offset_is_applied_before_the_skew_check(run: Run, seed: dict[str, Any]) -> None:
    # 09:25 local at -01:00 is 10:25 UTC: an hour after the fixture's receive time.
    seed["timestamp"] = "2021-01-01T09:25:00-01:00"
    result = run(seed)
    assert isinstance(result, Rejection) and result.reason is Reason.TIMESTAMP_IN_FUTURE


# --- age --------------------------------------------------------------------------------

AGE = timedelta(days=30)


def test_age_up_to_the_limit_is_allowed() -> None:
    assert too_old(NOW - AGE, NOW, AGE) is None
    assert too_old(NOW + SKEW, NOW, AGE) is None  # ahead of receipt is in_future's to judge


def test_age_beyond_the_limit_is_too_old() -> None:
    assert too_old(NOW - AGE - timedelta(microseconds=1), NOW, AGE) is not None
    result = too_old(NOW - AGE - timedelta(hours=12), NOW, AGE)
    assert result == Rejection(
        Reason.TIMESTAMP_TOO_OLD, "timestamp: 30.5 days before receipt, more than the allowed 30 days"
    )


def test_naive_received_at_means_utc_for_the_age_too() -> None:
    assert too_old(NOW - AGE - timedelta(seconds=1), NOW.replace(tzinfo=None), AGE) is not None
    assert too_old(NOW - AGE + timedelta(seconds=1), NOW.replace(tzinfo=None), AGE) is None


# Late in 2026, when the default was chosen; a fixed moment keeps these tests true later.
RECEIVED_2026 = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize("text", ["0001-01-01 00:00:00.000000", "1970-01-01T00:00:00Z",
                                  "1996-11-01T00:00:00Z"])
def test_default_policy_refuses_sentinel_and_ancient_timestamps(seed: dict[str, Any], text: str) -> None:
    import orjson

    from validators import validate

    seed["timestamp"] = text
    result = validate(orjson.dumps(seed), received_at=RECEIVED_2026, policy=Policy())
    assert isinstance(result, Rejection) and result.reason is Reason.TIMESTAMP_TOO_OLD, result
    assert result.detail.endswith("more than the allowed 10958 days")


@pytest.mark.parametrize("text", ["2021-01-01 09:15:27.243860", "2000-01-01T00:00:00Z",
                                  "1997-01-01T00:00:00Z"])
def test_default_policy_takes_the_seed_and_historical_imports(seed: dict[str, Any], text: str) -> None:
    import orjson

    from validators import validate

    seed["timestamp"] = text
    assert isinstance(validate(orjson.dumps(seed), received_at=RECEIVED_2026, policy=Policy()), Event)


def test_the_age_is_checked_after_the_timestamp_parses(run: Run, seed: dict[str, Any]) -> None:
    seed["timestamp"] = "0000-01-01T00:00:00Z"  # year 0 is no date at all, not an old one
    result = run(seed)
    assert isinstance(result, Rejection) and result.reason is Reason.INVALID_TIMESTAMP
