"""Property tests: no input makes validate() raise, and well-formed events always validate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validators import Event, Policy, Reason, Rejection, registry, validate

# Bounded so the suite stays fast; database=None keeps hypothesis from writing into the repo.
bounded = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

RECEIVED_AT = datetime(2021, 6, 1, 12, tzinfo=timezone.utc)
POLICIES = st.builds(
    Policy,
    max_message_bytes=st.sampled_from([64, 512, 65536]),
    max_depth=st.integers(2, 40),
    unknown_event_types=st.sampled_from(["accept", "reject"]),
)

# Text that UTF-8 and PostgreSQL can both carry: no lone surrogates, no NUL.
storable = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
text = st.text(storable, max_size=20)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def outcome(value: bytes | None, policy: Policy = Policy()) -> Event | Rejection:
    result = validate(value, received_at=RECEIVED_AT, policy=policy)
    assert isinstance(result, (Event, Rejection))
    if isinstance(result, Rejection):
        assert result.reason not in {Reason.UNAUTHORIZED_APP, Reason.INTERNAL_ERROR, Reason.SINK_FAILED,
                                     Reason.DUPLICATE_EVENT}, result
        assert isinstance(result.detail, str) and result.detail
    return result


@bounded
@given(st.binary(max_size=300), POLICIES)
def test_arbitrary_bytes_never_raise(value: bytes, policy: Policy) -> None:
    outcome(value, policy)


@bounded
@given(json_values, POLICIES)
def test_arbitrary_json_never_raises(value: Any, policy: Policy) -> None:
    outcome(orjson.dumps(value), policy)


# Objects shaped like events, with each envelope field either sensible or arbitrary JSON, so
# the envelope and payload checks (not just the parser) see hostile values.
def maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, json_values)


near_events = st.fixed_dictionaries(
    {},
    optional={
        "session_id": maybe(text),
        "category": maybe(st.sampled_from(["page interaction", "form interaction"])),
        "name": maybe(st.sampled_from(["pageview", "cta click", "submit"])),
        "data": maybe(st.dictionaries(st.sampled_from(["host", "path", "element", "form", "x"]), json_values)),
        "timestamp": maybe(st.sampled_from(["2021-01-01T00:00:00Z", "2021-01-01 00:00:00", "2031-01-01T00:00:00Z"])),
        "event_id": maybe(st.uuids().map(str)),
    },
)


@bounded
@given(near_events, POLICIES)
def test_event_shaped_json_never_raises(value: dict[str, Any], policy: Policy) -> None:
    outcome(orjson.dumps(value), policy)


# --- valid events ------------------------------------------------------------------------

ids = st.text(storable, min_size=1, max_size=128).filter(lambda s: not s.isspace())
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1), timezones=st.none() | offsets)
extras = st.dictionaries(text.filter(lambda k: k not in {"host", "path", "element", "form"}), json_values, max_size=4)

REQUIRED: dict[tuple[str, str], dict[str, st.SearchStrategy[Any]]] = {
    ("page interaction", "pageview"): {"host": text, "path": text},
    ("page interaction", "cta click"): {"host": text, "path": text, "element": text},
    ("form interaction", "submit"): {"host": text, "path": text, "form": st.dictionaries(text, json_values, max_size=4)},
}


def no_nul(value: Any) -> bool:
    return b"\\u0000" not in orjson.dumps(value)


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    category, name = draw(st.sampled_from(sorted(REQUIRED)))
    data = draw(extras.filter(no_nul))
    data.update(draw(st.fixed_dictionaries(REQUIRED[(category, name)]).filter(no_nul)))
    moment = draw(moments)
    separator = draw(st.sampled_from(["T", " "]))
    message: dict[str, Any] = {
        "session_id": draw(ids),
        "category": category,
        "name": name,
        "data": data,
        "timestamp": moment.isoformat(sep=separator),
    }
    if draw(st.booleans()):
        message["event_id"] = str(draw(st.uuids()))
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    # Anywhere from the allowed skew ahead of receipt to a day behind it.
    received = utc + draw(st.timedeltas(min_value=timedelta(seconds=-60), max_value=timedelta(days=1)))
    return message, received


@bounded
@given(valid_events())
def test_valid_events_always_validate(case: tuple[dict[str, Any], datetime]) -> None:
    message, received = case
    policy = Policy(unknown_event_types="reject")
    result = validate(orjson.dumps(message), received_at=received, policy=policy)
    assert isinstance(result, Event), result
    assert result.data == message["data"]
    assert result.timestamp.tzinfo is timezone.utc
    assert registry.get(result.category, result.name) is not None
