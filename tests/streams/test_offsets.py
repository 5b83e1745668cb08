"""The commit tracker: never past a message handed to the agent and not yet stored."""

from __future__ import annotations

from streams.offsets import Handled, OffsetTracker


def test_commits_up_to_the_first_unstored_offset() -> None:
    t = OffsetTracker()
    hs = [Handled("p0", o, 1) for o in range(10, 15)]
    for h in hs:
        t.handled(h)
    assert t.committable(1) == {"p0": 10}
    t.stored([hs[0], hs[1], hs[3]])  # 13 stored before 12: the commit stops at 12
    assert t.committable(1) == {"p0": 12}
    t.stored([hs[2], hs[4]])
    assert t.committable(1) == {"p0": 15}
    t.committed({"p0": 15})
    assert t.committable(1) == {}


def test_a_new_generation_starts_over_and_old_stragglers_do_not_count() -> None:
    t = OffsetTracker()
    old = [Handled("p0", o, 1) for o in range(100, 103)]
    for h in old:
        t.handled(h)
    # A rebalance: the partition is read again from its committed offset, 90.
    new = [Handled("p0", o, 2) for o in range(90, 95)]
    for h in new:
        t.handled(h)
    t.stored(old)  # rows of the old generation, stored late, say nothing of the new one
    assert t.committable(2) == {"p0": 90}
    assert t.committable(1) == {}
    t.stored(new)
    assert t.committable(2) == {"p0": 95}
    t.handled(Handled("p0", 103, 1))  # a straggler of generation 1 changes nothing
    assert t.committable(2) == {"p0": 95}


def test_offsets_skipped_by_the_broker_do_not_block() -> None:
    t = OffsetTracker()
    for o in (5, 6, 9):  # 7 and 8 are transaction markers, never delivered
        t.handled(Handled("p1", o, 3))
    t.stored([Handled("p1", o, 3) for o in (5, 6, 9)])
    assert t.committable(3) == {"p1": 10}
