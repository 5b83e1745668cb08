"""One policy from the settings: the worker and the collector judge with the same limits."""

from __future__ import annotations

from datetime import timedelta

from base.policy import policy_from
from base.settings import Settings
from validators import Policy


def test_the_policy_takes_every_limit_from_the_settings() -> None:
    settings = Settings(max_message_bytes=1000, max_depth=5, max_clock_skew=7,
                        max_event_age=3600, unknown_event_types="reject")
    assert policy_from(settings) == Policy(
        max_message_bytes=1000, max_depth=5, max_clock_skew=timedelta(seconds=7),
        max_event_age=timedelta(hours=1), unknown_event_types="reject")


def test_the_default_settings_give_the_default_policy() -> None:
    assert policy_from(Settings()) == Policy()
