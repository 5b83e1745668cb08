"""The commit tracker: never past an offset without a stored row, whatever order Faust
delivers in."""

from __future__ import annotations

from streams.offsets import Handled, OffsetTracker


def tracker(tp: str = "p0", generation: int = 1, resume_at: int = 10) -> OffsetTracker:
    t = OffsetTracker()
    t.begin(tp, generation, resume_at)
    return t


def handle(t: OffsetTracker, *hs: Handled) -> None:
    for h in hs:
        assert t.hole_before(h) is None
        t.handled(h)


def test_commits_up_to_the_first_unstored_offset() -> None:
    t = tracker()
    hs = [Handled("p0", o, 1) for o in range(10, 15)]
    handle(t, *hs)
    assert t.committable(1) == {}  # nothing stored: the group stays where it resumed
    t.stored([hs[0], hs[1], hs[3]])  # 13 stored before 12: the commit stops at 12
    assert t.committable(1) == {"p0": 12}
    t.stored([hs[2], hs[4]])
    assert t.committable(1) == {"p0": 15}
    t.committed({"p0": 15})
    assert t.committable(1) == {}


def test_the_first_message_of_a_generation_starts_the_partition_over() -> None:
    t = tracker(resume_at=100)
    old = [Handled("p0", o, 1) for o in range(100, 103)]
    handle(t, *old)
    # A rebalance: the partition is read again from where the group stands, 90.
    assert t.starting(Handled("p0", 90, 2)) and not t.starting(Handled("p0", 104, 1))
    t.begin("p0", 2, 90)
    new = [Handled("p0", o, 2) for o in range(90, 95)]
    handle(t, *new)
    t.stored(old)  # rows of the old generation, stored late, say nothing of the new one
    assert t.committable(2) == {} and t.committable(1) == {}
    t.stored(new)
    assert t.committable(2) == {"p0": 95}
    t.handled(Handled("p0", 103, 1))  # a straggler of generation 1 changes nothing
    assert t.committable(2) == {"p0": 95}


def test_a_skipped_offset_is_a_hole_the_commit_never_passes_until_it_is_handled() -> None:
    t = tracker()
    handle(t, *(Handled("p0", o, 1) for o in (10, 11)))
    late = Handled("p0", 13, 1)
    assert t.hole_before(late) == range(12, 13)  # 12 was never handed over
    t.handled(late)
    t.stored([Handled("p0", o, 1) for o in (10, 11, 13)])
    assert t.committable(1) == {"p0": 12}, "12 has no row yet"
    # Read from the broker and handled after all:
    t.handled(Handled("p0", 12, 1))
    t.closed(late, range(12, 13))
    assert t.committable(1) == {"p0": 12}
    t.stored([Handled("p0", 12, 1)])
    assert t.committable(1) == {"p0": 14}


def test_a_hole_before_the_first_message_counts_from_where_the_group_resumed() -> None:
    t = tracker(resume_at=10)
    first = Handled("p0", 20, 1)
    assert t.hole_before(first) == range(10, 20)


def test_offsets_with_no_record_in_a_hole_do_not_block() -> None:
    t = tracker(tp="p1", generation=3, resume_at=5)
    handle(t, Handled("p1", 5, 3), Handled("p1", 6, 3))
    nine = Handled("p1", 9, 3)
    hole = t.hole_before(nine)
    assert hole == range(7, 9)
    t.closed(nine, hole)  # 7 and 8 are transaction markers: the broker has no record there
    t.handled(nine)
    t.stored([Handled("p1", o, 3) for o in (5, 6, 9)])
    assert t.committable(3) == {"p1": 10}


def test_an_unreadable_hole_holds_commits_below_it() -> None:
    t = tracker()
    handle(t, Handled("p0", 10, 1))
    late = Handled("p0", 15, 1)
    assert t.hole_before(late) == range(11, 15)  # and never closed: its read failed
    t.handled(late)
    handle(t, Handled("p0", 16, 1))  # reported once, not again for every later message
    t.stored([Handled("p0", o, 1) for o in (10, 15, 16)])
    assert t.committable(1) == {"p0": 11}


def test_a_redelivery_below_the_resume_position_never_moves_the_commit_back() -> None:
    t = tracker(resume_at=100)
    early = Handled("p0", 95, 1)
    handle(t, early)
    assert t.committable(1) == {}
    t.stored([early])
    assert t.committable(1) == {}
