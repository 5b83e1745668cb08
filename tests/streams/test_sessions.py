"""Session state from events: counts, entry and exit by event time, bounce, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streams.sessions import Session, already_applied, apply
from validators import Event

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def ev(name: str, seconds: int, path: str = "/") -> Event:
    data = {"host": "h", "path": path}
    if name == "cta click":
        data["element"] = "b"
    return Event("s", "page interaction", name, data, T0 + timedelta(seconds=seconds), None)


def run(events: list[Event]) -> Session:
    state = None
    for offset, e in enumerate(events):
        state = apply(state, e, application_id=7, partition=0, offset=offset)
    assert state is not None
    return state


def test_fields_in_order() -> None:
    s = run([ev("pageview", 0, "/a"), ev("cta click", 5), ev("pageview", 30, "/b")])
    assert (s.event_count, s.pageviews, s.entry_page, s.exit_page) == (3, 2, "/a", "/b")
    assert s.first_seen == T0 and s.duration_seconds == 30
    assert not s.bounce and s.application_id == 7


def test_out_of_order_arrival_gives_the_same_session() -> None:
    events = [ev("pageview", 0, "/a"), ev("pageview", 10, "/b"), ev("cta click", 20),
              ev("pageview", 40, "/c")]
    in_order = run(events)
    shuffled = run([events[3], events[1], events[2], events[0]])
    fields = ("first_seen", "last_seen", "event_count", "pageviews", "entry_page", "exit_page")
    assert [getattr(shuffled, f) for f in fields] == [getattr(in_order, f) for f in fields]
    assert shuffled.entry_page == "/a" and shuffled.exit_page == "/c"


def test_bounce_is_at_most_one_pageview() -> None:
    assert run([ev("pageview", 0), ev("cta click", 3)]).bounce
    assert not run([ev("pageview", 0), ev("pageview", 3)]).bounce


def test_redelivered_offsets_are_recognised() -> None:
    s = run([ev("pageview", 0), ev("pageview", 1)])  # offsets 0 and 1 of partition 0
    assert already_applied(s, 0, 1) and already_applied(s, 0, 0)
    assert not already_applied(s, 0, 2)
    assert not already_applied(s, 3, 0)  # another partition: cannot tell, so take it in
    assert not already_applied(None, 0, 0)


def test_round_trips_through_bytes() -> None:
    s = run([ev("pageview", 0, "/a"), ev("cta click", 5)])
    assert Session.from_bytes(s.to_bytes()) == s


def test_rebuild_from_stored_events_matches_the_live_state() -> None:
    from streams.sessions import rebuild

    events = [ev("pageview", 0, "/a"), ev("cta click", 5), ev("pageview", 30, "/b")]
    live = run(events)
    stored = [(e.category, e.name, e.data, e.timestamp, 7, 0, offset)
              for offset, e in enumerate(events)]
    assert rebuild("s", stored) == live
    assert rebuild("s", []) is None
