"""The validators' limits as the settings set them: the worker and the collector judge events
with this one policy."""

from __future__ import annotations

from base.settings import Settings
from validators import Policy


def policy_from(settings: Settings) -> Policy:
    return Policy(max_message_bytes=settings.max_message_bytes, max_depth=settings.max_depth,
                  max_clock_skew=settings.max_clock_skew,
                  max_event_age=settings.max_event_age,
                  unknown_event_types=settings.unknown_event_types)
