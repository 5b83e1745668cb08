"""Fixtures shared by the validators tests: the seed event and a one-call validate()."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson
import pytest

from validators import Event, Policy, Rejection, validate

# The example event from the original seed data, verbatim.
SEED: dict[str, Any] = {
    "session_id": "e2085be5-9137-4e4e-80b5-f1ffddc25423",
    "category": "page interaction",
    "name": "pageview",
    "data": {"host": "www.example.com", "path": "/"},
    "timestamp": "2021-01-01 09:15:27.243860",
}

# Shortly after the seed timestamp, so the seed is neither stale nor in the future.
RECEIVED_AT = datetime(2021, 1, 1, 9, 20, tzinfo=timezone.utc)

Run = Callable[..., "Event | Rejection"]


@pytest.fixture
def seed() -> dict[str, Any]:
    return copy.deepcopy(SEED)


@pytest.fixture
def received_at() -> datetime:
    return RECEIVED_AT


@pytest.fixture
def run() -> Run:
    """validate() on a dict (serialised with orjson), raw bytes, or None."""

    def run(message: dict[str, Any] | bytes | None, policy: Policy | None = None) -> Event | Rejection:
        value = message if message is None or isinstance(message, bytes) else orjson.dumps(message)
        return validate(value, received_at=RECEIVED_AT, policy=policy or Policy())

    return run
