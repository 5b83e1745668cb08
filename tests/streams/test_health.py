"""The real worker's /metrics: what it read, stored and rejected, once the lag has drained."""

from __future__ import annotations

import time
import urllib.request

import orjson

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from tests.fixtures.kafka import wait_for_lag
from tests.fixtures.metrics import samples
from tests.fixtures.stack import WorkerProcess


def scrape(settings: Settings) -> dict[str, list[tuple[dict[str, str], float]]]:
    url = f"http://127.0.0.1:{settings.worker_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        return samples(r.read().decode())


def total(got: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(v for _labels, v in got.get(name, []))


def test_worker_metrics_count_what_was_stored(worker: WorkerProcess, settings: Settings,
                                              app_key: str) -> None:
    events = demo_events(sessions=6, seed=5)
    good = produce(settings, events, app_key=app_key)
    bad = produce(settings, [b"{not json", orjson.dumps({"session_id": "x"})], app_key=app_key)
    wait_for_lag(settings, 0, worker=worker)
    sessions = float(len({e["session_id"] for e in events}))
    deadline = time.monotonic() + 10
    while True:  # the counters move right after the commit, and the session count is one
        got = scrape(settings)  # scrape behind, so allow a scrape or two
        if (total(got, "eye_events_stored_total") == good
                and got["eye_sessions_in_table"] == [({}, sessions)]) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert total(got, "eye_events_received_total") == good + bad
    assert total(got, "eye_events_stored_total") == good
    rejected = {labels["reason"]: v for labels, v in got["eye_events_rejected_total"]}
    assert rejected == {"malformed_json": 1, "missing_field": 1}
    assert total(got, "eye_batch_size_sum") == good + bad
    assert total(got, "eye_ingest_to_stored_seconds_count") == good + bad
    assert total(got, "eye_sink_seconds_count") >= 1
    assert got["eye_worker_up"] == [({}, 1.0)]
    # Counted exactly: a table this small is below worker_metrics.EXACT_BELOW.
    assert got["eye_sessions_in_table"] == [({}, sessions)]
