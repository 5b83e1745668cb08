"""The argument types the commands share."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from eye.commands import args

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_since_takes_durations_back_from_now_and_iso_times() -> None:
    assert args.since("2h", now=NOW) == NOW - timedelta(hours=2)
    assert args.since("1d12h", now=NOW) == NOW - timedelta(days=1, hours=12)
    assert args.since("90s", now=NOW) == NOW - timedelta(seconds=90)
    assert args.since("1w", now=NOW) == NOW - timedelta(weeks=1)
    assert args.since("2024-04-30") == datetime(2024, 4, 30, tzinfo=UTC)
    assert args.since("2024-04-30T10:00:00+02:00") == datetime(2024, 4, 30, 8, tzinfo=UTC)
    for bad in ("yesterday", "2x", "h", "", "2h yesterday"):
        with pytest.raises(argparse.ArgumentTypeError, match="neither an ISO time"):
            args.since(bad)


def test_reasons_are_checked_against_the_real_list() -> None:
    assert args.reason("missing_field") == "missing_field"
    with pytest.raises(argparse.ArgumentTypeError, match="did you mean missing_field"):
        args.reason("missing_feild")
    with pytest.raises(argparse.ArgumentTypeError, match="one of: malformed_json, "):
        args.reason("nonsense")


def test_blank_names_are_refused() -> None:
    assert args.name("  shop ") == "shop"
    for bad in ("", "   ", "\t"):
        with pytest.raises(argparse.ArgumentTypeError, match="cannot be blank"):
            args.name(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="control characters"):
        args.name("a\nb")
