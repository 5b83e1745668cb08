"""The live panel's recent past: lag and rates sampled at a fixed interval, in a ring buffer.

Pure: a `Sample` is made from two lag measurements and the rejections counted between them;
`History` keeps the last `span` seconds of them (a bounded deque, so memory stays fixed
whatever the uptime) and lays them out as columns, the shape chart libraries draw.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from kafka_edge.lag import Lag


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # seconds since the epoch
    lag: int | None  # None: the broker did not answer
    lag_seconds: float | None
    received: float | None  # records per second produced to the topic since the last sample
    stored: float | None  # events per second stored (records committed minus rejections)
    rejected: float | None  # messages per second stored as errors


def sample(before: Lag | None, now: Lag, rejected: int) -> Sample:
    """Rates between two measurements of the same group; `rejected` were read between them."""
    if before is None or now.measured_at <= before.measured_at:
        return Sample(now.measured_at, now.total, now.max_seconds, None, None, None)
    dt = now.measured_at - before.measured_at
    received = max(now.produced - before.produced, 0) / dt
    committed = max(now.consumed - before.consumed, 0) / dt
    rejected_rate = rejected / dt
    return Sample(now.measured_at, now.total, now.max_seconds, received,
                  max(committed - rejected_rate, 0.0), rejected_rate)


def gap(at: float) -> Sample:
    """A sample of a moment the broker did not answer: a hole in the charts, not a zero."""
    return Sample(at, None, None, None, None, None)


COLUMNS = ("at", "lag", "lag_seconds", "received", "stored", "rejected")


class History:
    def __init__(self, span: float, interval: float) -> None:
        self.span = span
        self.samples: deque[Sample] = deque(maxlen=max(math.ceil(span / interval), 1) + 1)

    def add(self, s: Sample) -> None:
        self.samples.append(s)

    def columns(self, now: float) -> dict[str, list[float | int | None]]:
        """The samples of the last `span` seconds as one list per column, oldest first."""
        recent = [s for s in self.samples if now - s.at <= self.span]
        return {c: [_round(getattr(s, c)) for s in recent] for c in COLUMNS}


def _round(v: float | int | None) -> float | int | None:
    return round(v, 3) if isinstance(v, float) else v
