"""Messages reach the ingest logic in offset order, what Faust skipped read first; a hole that
cannot be read holds the commit below it."""

from __future__ import annotations

from dataclasses import dataclass

from streams.gaps import HoleUnreadable, Record
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

    def __init__(self, resume_at: int, offsets: range, *, failing: bool = False) -> None:
        self.resume_at = resume_at
        self.offsets = set(offsets)
        self.failing = failing
        self.reads: list[range] = []
        self.asked = 0

    async def resume_positions(self) -> dict[int, int]:
        self.asked += 1
        return {0: self.resume_at, 1: self.resume_at}

    async def read_hole(self, partition: int, hole: range) -> list[Record]:
        self.reads.append(hole)
        if self.failing:
            raise HoleUnreadable("no answer")
        return [record(o) for o in hole if o in self.offsets]


def sequencer(broker: Broker) -> tuple[Sequencer, list[Handled]]:
    seen: list[Handled] = []

    async def handle(message: object, h: Handled) -> None:
        seen.append(h)

    return Sequencer(OffsetTracker(), handle, resume_positions=broker.resume_positions,
                     read_hole=broker.read_hole), seen


async def test_in_order_messages_pass_straight_through() -> None:
    broker = Broker(resume_at=5, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    for o in range(5, 9):
        await seq(Message(o))
    assert [h.offset for h in seen] == [5, 6, 7, 8] and broker.reads == []
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 9}


async def test_what_faust_skipped_is_read_and_handled_first() -> None:
    broker = Broker(resume_at=5, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    for o in (8, 9, 12):  # 5-7 skipped at the start, 10-11 in the middle
        await seq(Message(o))
    assert broker.reads == [range(5, 8), range(10, 12)]
    assert [h.offset for h in seen] == [5, 6, 7, 8, 9, 10, 11, 12]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 13}


async def test_offsets_the_broker_has_no_record_for_are_passed() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20))
    broker.offsets -= {3}  # a transaction marker
    seq, seen = sequencer(broker)
    for o in (0, 1, 2, 4):
        await seq(Message(o))
    assert broker.reads == [range(3, 4)]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 5}


async def test_an_unreadable_hole_holds_the_commit_below_it() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20), failing=True)
    seq, seen = sequencer(broker)
    for o in (0, 1, 4, 5):
        await seq(Message(o))
    assert broker.reads == [range(2, 4)]  # tried once, not again for each later message
    assert [h.offset for h in seen] == [0, 1, 4, 5]
    seq.offsets.stored(seen)
    assert seq.offsets.committable(1) == {("events", 0): 2}


async def test_where_partitions_resume_is_asked_once_per_generation() -> None:
    broker = Broker(resume_at=0, offsets=range(0, 20))
    seq, seen = sequencer(broker)
    await seq(Message(0))
    await seq(Message(0, partition=1))
    assert broker.asked == 1
    broker.resume_at = 7  # another worker stored and committed up to 7 meanwhile
    await seq(Message(7, generation_id=2))
    await seq(Message(1, generation_id=1))  # a straggler of generation 1: handled, not counted
    assert broker.asked == 2 and broker.reads == []
    seq.offsets.stored(seen)
    assert seq.offsets.committable(2) == {("events", 0): 8}
