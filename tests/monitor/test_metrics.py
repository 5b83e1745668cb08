"""/metrics of the API: the lag as kafka_exporter names it, from the broker."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from base.settings import Settings
from monitor.metrics import NAMES
from tests.fixtures.kafka import send
from tests.fixtures.metrics import samples


async def test_api_metrics_carry_the_lag_per_partition(topics: Settings, api: TestClient) -> None:
    where = send(topics, 20)
    resp = await api.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    got = samples(await resp.text())
    assert set(NAMES) <= set(got), set(NAMES) - set(got)
    assert got["eye_lag_up"] == [({}, 1.0)]
    group = {"consumergroup": topics.consumer_group, "topic": topics.topic}
    lag = {int(labels["partition"]): value for labels, value in got["kafka_consumergroup_lag"]}
    assert lag == {p: float(where[p]) for p in range(topics.topic_partitions)}
    for name in ("kafka_consumergroup_lag", "kafka_consumergroup_current_offset",
                 "eye_consumergroup_lag_seconds"):
        for labels, _value in got[name]:
            assert labels.keys() == {"consumergroup", "topic", "partition"}
            assert {k: labels[k] for k in group} == group
    ends = {int(labels["partition"]): value
            for labels, value in got["kafka_topic_partition_current_offset"]}
    assert ends == lag  # nothing committed: the whole log is lag
    assert all(v == 0 for _l, v in got["kafka_consumergroup_current_offset"])


async def test_api_metrics_say_when_the_broker_does_not_answer(settings: Settings,
                                                               api: TestClient) -> None:
    # No topics fixture: the topic does not exist, so no lag can be measured.
    got = samples(await (await api.get("/metrics")).text())
    assert got["eye_lag_up"] == [({}, 0.0)]
    assert "kafka_consumergroup_lag" not in got
