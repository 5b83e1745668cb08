"""Which offsets may be committed: those before the first message read but not yet stored.

Faust's own commits are switched off for the input topic, because Faust acks, without handing
them to the agent, messages it skips as stale after a rebalance: its commit could then pass
messages that were never stored. Here only messages handed to the agent count, per partition
and per consumer generation. Within a generation Faust delivers a partition's messages in
order from its committed offset, so the first handled-but-unstored offset is a safe commit.
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
    pending: set[int] = field(default_factory=set)
    last: int = -1
    committed: int = -1


class OffsetTracker:
    def __init__(self) -> None:
        self._partitions: dict[Hashable, _Partition] = {}

    def handled(self, h: Handled) -> None:
        p = self._partitions.get(h.tp)
        if p is None or h.generation > p.generation:
            # A new generation starts over from the committed offset: earlier state is moot.
            p = self._partitions[h.tp] = _Partition(h.generation)
        elif h.generation < p.generation:
            return  # a straggler of an earlier generation; its partition was re-read
        p.pending.add(h.offset)
        p.last = max(p.last, h.offset)

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
            if p.generation != generation or p.last < 0:
                continue
            offset = min(p.pending) if p.pending else p.last + 1
            if offset > p.committed:
                out[tp] = offset
        return out

    def committed(self, offsets: dict[Hashable, int]) -> None:
        for tp, offset in offsets.items():
            p = self._partitions.get(tp)
            if p is not None:
                p.committed = max(p.committed, offset)
