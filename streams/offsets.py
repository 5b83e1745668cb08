"""Which offsets may be committed: never past a message that has no stored row.

Faust's own commits are switched off for the input topic: its stream acks, without handing
them to the agent, messages that arrive while its flow control is suspended (a rebalance or a
table recovery in progress) or that carry an earlier consumer generation, and its fetcher does
not always seek back to them (seen in the three-worker drill under CPU contention: offsets
2025, then 2027; runs of 7 to 12 offsets at many worker starts). So the tracker trusts no
delivery order. Per partition and consumer generation it starts from where the group resumed
and expects offsets in sequence; an offset past the expected one reveals a hole, which the
worker reads from the broker itself before it goes on (kafka_edge/hole_reader.py). A hole that could
not be read holds the commit below it until a retry reads it (streams/sequence.py), or else the
next owner of the partition reads its messages again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable


@dataclass(frozen=True, slots=True)
class Handled:
    """One message handed to the agent: where it was read, and in which generation."""

    tp: Hashable
    offset: int
    generation: int


@dataclass
class _Partition:
    generation: int
    expected: int  # the next offset due; everything before it was handled or is no record
    committed: int
    pending: set[int] = field(default_factory=set)
    holes: set[int] = field(default_factory=set)  # starts of holes not yet read


class OffsetTracker:
    def __init__(self) -> None:
        self._partitions: dict[Hashable, _Partition] = {}

    def starting(self, h: Handled) -> bool:
        """True for the first message of a partition in a new generation: `begin` it first."""
        p = self._partitions.get(h.tp)
        return p is None or h.generation > p.generation

    def begin(self, tp: Hashable, generation: int, resume_at: int) -> None:
        """A partition read in `generation` from `resume_at`, where the group stood when the
        generation began. Earlier state is moot."""
        self._partitions[tp] = _Partition(generation, expected=resume_at, committed=resume_at)

    def hole_before(self, h: Handled) -> range | None:
        """The offsets before `h` never handed over in its generation, if any. Commits stay
        below the hole until it is `closed`: after its records were handled, or never."""
        p = self._partitions.get(h.tp)
        if p is None or p.generation != h.generation or h.offset <= p.expected:
            return None
        p.holes.add(p.expected)
        return range(p.expected, h.offset)

    def closed(self, h: Handled, hole: range) -> None:
        """The records of `hole` were handled; offsets in it that were not have no record."""
        p = self._partitions.get(h.tp)
        if p is not None and p.generation == h.generation:
            p.holes.discard(hole.start)
            p.expected = max(p.expected, hole.stop)

    def handled(self, h: Handled) -> None:
        p = self._partitions.get(h.tp)
        if p is None or p.generation != h.generation:
            return  # a straggler of an earlier generation; its partition is read again
        p.pending.add(h.offset)
        p.expected = max(p.expected, h.offset + 1)

    def stored(self, done: list[Handled]) -> None:
        for h in done:
            p = self._partitions.get(h.tp)
            if p is not None and p.generation == h.generation:
                p.pending.discard(h.offset)

    def committable(self, generation: int) -> dict[Hashable, int]:
        """Offsets to commit now (next offset to read, Kafka's convention) for partitions read
        in `generation`, where they moved since the last call."""
        out: dict[Hashable, int] = {}
        for tp, p in self._partitions.items():
            if p.generation != generation:
                continue
            offset = min(p.pending | p.holes, default=p.expected)
            if offset > p.committed:
                out[tp] = offset
        return out

    def committed(self, offsets: dict[Hashable, int]) -> None:
        for tp, offset in offsets.items():
            p = self._partitions.get(tp)
            if p is not None:
                p.committed = max(p.committed, offset)
