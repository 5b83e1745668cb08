"""Messages reach the ingest logic in offset order, what Faust skipped read first; a hole that
cannot be read holds the commit below it until a retry reads it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from streams import metrics as worker_metrics

from kafka_edge.hole_reader import HoleUnreadable, Record
from streams.offsets import Handled, OffsetTracker
from streams.sequence import Sequencer


@dataclass
class Message:
    offset: int
    generation_id: int = 1
    partition: int = 0
    topic: str = "events"

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


def record(offset: int) -> Record:
    return Record("events", 0, offset, None, b"{}", [], None)


class Broker:
    """Where the group resumes, the records it holds, and whether reading them fails."""

    def __init__(self, resume_at: int, offsets: range, *, failing: bool | int = False) -> None:
        self.resume_at = resume_at
        self.offsets = set(offsets)
        self.failing = failing  # True: always; a number: that many reads fail
        self.reads: list[range] = []
        self.asked = 0

    async def resume_positions(self) -> dict[int, int]:
        self.asked += 1
        return {0: self.resume_at, 1: self.resume_at}

    async def read_hole(self, partition: int, hole: range) -> list[Record]:
        self.reads.append(hole)
        if self.failing:
            if not isinstance(self.failing, bool):
                self.failing -= 1
            raise HoleUnreadable("no answer")
        return [record(o) for o in hole if o in self.offsets]


def sequencer(broker: Broker, **clock: Callable[[], float]
              ) -> tuple[Sequencer, list[Handled]]:
    seen: list[Handled] = []

    async def handle(items: list[tuple[object, Handled]]) -> None:
        seen.extend(h for _, h in items)

    return Sequencer(OffsetTracker(), handle, resume_positions=broker.resume_positions,
                     read_hole=broker.read_hole, **clock), seen


async def test_in_order_messages_pass_straight_through() -> None:
    broker = Broker(resume_at=5, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    for o in range(5, 9):
        await seq([Message(o)])
    assert [h.offset for h in seen] == [5, 6, 7, 8] and broker.reads == []
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 9}


async def test_a_batch_is_handed_over_in_one_call_with_a_hole_filled_in_place() -> None:
    broker = Broker(resume_at=5, offsets=range(0, 20))
    calls: list[list[int]] = []

    async def handle(items: list[tuple[object, Handled]]) -> None:
        calls.append([h.offset for _, h in items])

    seq = Sequencer(OffsetTracker(), handle, resume_positions=broker.resume_positions,
                    read_hole=broker.read_hole)
    await seq([Message(5), Message(6), Message(9), Message(10)])
    assert calls == [[5, 6, 7, 8, 9, 10]] and broker.reads == [range(7, 9)]


async def test_what_faust_skipped_is_read_and_handled_first() -> None:
    broker = Broker(resume_at=5, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    for o in (8, 9, 12):  # 5-7 skipped at the start, 10-11 in the middle
        await seq([Message(o)])
    assert broker.reads == [range(5, 8), range(10, 12)]
    assert [h.offset for h in seen] == [5, 6, 7, 8, 9, 10, 11, 12]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 13}


async def test_offsets_the_broker_has_no_record_for_are_passed() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20))
    broker.offsets -= {3}  # a transaction marker
    seq, seen = sequencer(broker)
    for o in (0, 1, 2, 4):
        await seq([Message(o)])
    assert broker.reads == [range(3, 4)]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 5}


async def test_an_unreadable_hole_holds_the_commit_below_it() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20), failing=True)
    seq, seen = sequencer(broker)
    for o in (0, 1, 4, 5):
        await seq([Message(o)])
    assert broker.reads == [range(2, 4)]  # tried once, not again for each later message
    assert [h.offset for h in seen] == [0, 1, 4, 5]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 2}


async def test_where_partitions_resume_is_asked_once_per_generation() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    await seq([Message(0)])
    await seq([Message(0, partition=1)])
    assert broker.asked == 1
    broker.resume_at = 7  # another worker stored and committed up to 7 meanwhile
    await seq([Message(7, generation_id=2)])
    await seq([Message(1, generation_id=1)])  # a straggler of generation 1: handled, not counted
    assert broker.asked == 2 and broker.reads == []
    seq.offsets.stored(seen)
    assert seq.offsets.committable(2) == {("events", 0): 8}


def open_holes() -> float:
    return worker_metrics.REGISTRY.get_sample_value("eye_offset_holes_open") or 0.0


async def test_an_unreadable_hole_is_retried_with_backoff_until_read(
        caplog: pytest.LogCaptureFixture) -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20), failing=3)
    now = [0.0]
    seq, seen = sequencer(broker, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="streams.sequence"):
        for o in (0, 1, 4, 5):
            await seq([Message(o)])
        assert broker.reads == [range(2, 4)] and open_holes() == 1
        for o in range(6, 12):  # each later message checks; the broker answers at the 4th try
            now[0] += 60.0
            await seq([Message(o)])
    assert broker.reads == [range(2, 4)] * 4
    assert [h.offset for h in seen] == [0, 1, 4, 5, 6, 7, 2, 3, 8, 9, 10, 11]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 12}
    assert open_holes() == 0
    # One line when the hole could not be read and one when it was, not one per retry.
    lines = [r.getMessage() for r in caplog.records if "offsets 2 to 3" in r.getMessage()]
    assert len(lines) == 3, lines  # seen, unreadable, read at last


async def test_a_retry_waits_for_its_backoff() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20), failing=True)
    now = [0.0]
    seq, _seen = sequencer(broker, clock=lambda: now[0])
    for o in (0, 1, 4, 5):
        await seq([Message(o)])
    now[0] = 0.9
    await seq([Message(6)])
    assert len(broker.reads) == 1  # the first wait is 1 s
    now[0] = 1.0
    await seq([Message(7)])
    now[0] = 2.9
    await seq([Message(8)])
    assert len(broker.reads) == 2  # the second is twice as long
    now[0] = 3.0
    await seq([Message(9)])
    assert len(broker.reads) == 3


async def test_a_new_generation_ends_the_retries_of_the_old_one() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20), failing=True)
    now = [0.0]
    seq, seen = sequencer(broker, clock=lambda: now[0])
    for o in (0, 1, 4):
        await seq([Message(o)])
    assert open_holes() == 1
    broker.failing, broker.resume_at = False, 2
    now[0] += 600.0
    await seq([Message(2, generation_id=2)])  # the group resumes below the hole: read again
    assert broker.reads == [range(2, 4)] and open_holes() == 0
