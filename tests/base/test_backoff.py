from itertools import islice

from base.backoff import delays


def test_delays_double_up_to_the_cap_and_stay_there() -> None:
    assert list(islice(delays(0.1, 1.0), 7)) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
