"""The API process's Prometheus metrics: consumer lag as kafka_exporter names it, and ours.

The lag is measured from the broker when scraped (through a `LagMonitor`, so at most once per
couple of seconds), which keeps it right while the worker is down. kafka_exporter's names and
labels are kept so that dashboards already charting them work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kafka_edge.lag import Lag, LagMonitor

GROUP_LABELS = ["consumergroup", "topic", "partition"]

# Every metric name this process exports under our prefixes (the dashboard test reads this).
NAMES = ("kafka_consumergroup_lag", "kafka_consumergroup_current_offset",
         "kafka_topic_partition_current_offset", "kafka_topic_partition_oldest_offset",
         "eye_consumergroup_lag_seconds", "eye_lag_up")


class LagCollector(Collector):
    """Reads the monitor's last measurement; `refresh()` the monitor before collecting."""

    def __init__(self, monitor: LagMonitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = self.monitor.cached()
        up = GaugeMetricFamily("eye_lag_up", "1 when the broker answered the last lag "
                               "measurement, 0 when it did not")
        up.add_metric([], 0 if lag is None else 1)
        yield up
        if lag is not None:
            yield from families(lag)


def families(lag: Lag) -> Iterator[GaugeMetricFamily]:
    g, t = lag.group, lag.topic
    current = GaugeMetricFamily("kafka_consumergroup_current_offset",
                                "Where the consumer group resumes: its committed offset (the "
                                "log start when it committed nothing)", labels=GROUP_LABELS)
    group_lag = GaugeMetricFamily("kafka_consumergroup_lag", "Records in the partition the "
                                  "consumer group has not yet stored: log end offset minus "
                                  "its current offset", labels=GROUP_LABELS)
    seconds = GaugeMetricFamily("eye_consumergroup_lag_seconds", "Age of the oldest record the "
                                "consumer group has not yet stored (0 when none)",
                                labels=GROUP_LABELS)
    end = GaugeMetricFamily("kafka_topic_partition_current_offset", "Log end offset of the "
                            "partition", labels=["topic", "partition"])
    start = GaugeMetricFamily("kafka_topic_partition_oldest_offset", "Log start offset of the "
                              "partition", labels=["topic", "partition"])
    for p in lag.partitions:
        labels = [g, t, str(p.partition)]
        current.add_metric(labels, p.position)
        group_lag.add_metric(labels, p.lag)
        seconds.add_metric(labels, p.lag_seconds(lag.measured_at))
        end.add_metric([t, str(p.partition)], p.high)
        start.add_metric([t, str(p.partition)], p.low)
    yield from (group_lag, current, seconds, end, start)


def api_registry(monitor: LagMonitor) -> CollectorRegistry:
    """A registry of its own per server (tests run several servers in one process)."""
    registry = CollectorRegistry()
    registry.register(LagCollector(monitor))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry
