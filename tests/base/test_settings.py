"""Settings read from the environment, as operators write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from base.settings import Settings


def test_durations_take_seconds_or_iso_8601(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EYE_MAX_CLOCK_SKEW", "90")
    monkeypatch.setenv("EYE_DEDUP_WINDOW", "P2D")
    monkeypatch.setenv("EYE_MAX_EVENT_AGE", "P3650D")
    s = Settings()
    assert s.max_event_age == timedelta(days=3650)
    assert s.max_clock_skew == timedelta(seconds=90)
    assert s.dedup_window == timedelta(days=2)


def test_a_bad_setting_fails_loudly_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EYE_TOPIC_PARTITIONS", "0")
    with pytest.raises(ValueError, match="topic_partitions"):
        Settings()


def test_max_event_age_takes_seconds_and_defaults_to_the_policys(monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    from validators import Policy

    assert Settings.model_fields["max_event_age"].default == Policy().max_event_age
    monkeypatch.setenv("EYE_MAX_EVENT_AGE", "86400")
    assert Settings().max_event_age == timedelta(days=1)


def test_heavy_requests_must_leave_light_ones_a_connection(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("EYE_API_POOL_SIZE", "4")
    monkeypatch.setenv("EYE_API_HEAVY_CONCURRENCY", "4")
    with pytest.raises(ValueError, match="api_heavy_concurrency"):
        Settings()
    monkeypatch.setenv("EYE_API_HEAVY_CONCURRENCY", "3")
    assert Settings().api_heavy_concurrency == 3
