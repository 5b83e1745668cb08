"""The live panel's history: rates between two lag measurements, and a ring buffer that keeps
only the last span of samples."""

from __future__ import annotations

from kafka_edge.lag import Lag, PartitionLag
from pages.history import History, Sample, gap, sample


def lag(at: float, ends: list[int], committed: list[int | None]) -> Lag:
    parts = [PartitionLag(p, 0, end, c, at - 4.0 if c is not None and end > c else None)
             for p, (end, c) in enumerate(zip(ends, committed))]
    return Lag("g", "t", parts, at)


def test_rates_between_two_measurements() -> None:
    before = lag(100.0, [10, 20], [10, 20])
    now = lag(110.0, [60, 70], [40, 50])  # 100 produced, 60 committed in 10 s; lag 40
    s = sample(before, now, rejected=10)
    assert s == Sample(110.0, 40, 4.0, 10.0, 5.0, 1.0)


def test_the_first_measurement_has_lag_but_no_rates() -> None:
    s = sample(None, lag(5.0, [3], [None]), rejected=0)
    assert (s.lag, s.received, s.stored, s.rejected) == (3, None, None, None)


def test_stored_is_never_negative() -> None:
    # Rejections read slightly before the commit that covers them.
    s = sample(lag(0.0, [0], [0]), lag(1.0, [5], [0]), rejected=3)
    assert s.stored == 0.0 and s.rejected == 3.0


def test_the_buffer_keeps_the_last_span_as_columns() -> None:
    h = History(span=60.0, interval=5.0)
    for i in range(100):
        h.add(Sample(float(i * 5), i, 0.5, 1.0, 1.0, 0.0))
    assert len(h.samples) == 13  # bounded: 60 s of 5 s samples, and one to spare
    cols = h.columns(now=495.0)
    assert cols["at"] == [float(t) for t in range(435, 500, 5)]
    assert cols["lag"] == list(range(87, 100))
    assert set(cols) == {"at", "lag", "lag_seconds", "received", "stored", "rejected"}


def test_old_samples_leave_the_columns_even_when_none_came_since() -> None:
    h = History(span=60.0, interval=5.0)
    h.add(Sample(0.0, 1, 0.0, None, None, None))
    h.add(gap(30.0))
    assert h.columns(now=80.0) == {"at": [30.0], "lag": [None], "lag_seconds": [None],
                                   "received": [None], "stored": [None], "rejected": [None]}
