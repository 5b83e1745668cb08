"""The Grafana dashboard against a real Prometheus scraping a real API and worker: every PromQL
expression of deploy/grafana/dashboards/the-eye.json answers at least one series, with a number
in it; the alert rules load and evaluate, and a stopped worker sets EyeWorkerDown pending."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from base.settings import Settings
from eye.demo import demo_events
from eye.sending import produce
from tests.deploy.prometheus import Prometheus, running
from tests.fixtures.services import ROOT
from tests.fixtures.stack import WorkerProcess

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "the-eye.json"
LABEL_VALUES = re.compile(r"^label_values\((.+),\s*(\w+)\)$")


def expressions(node: object) -> list[str]:
    """Every PromQL expression of the dashboard: panel targets and template variable queries."""
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        if isinstance(node.get("definition"), str):
            found.append(node["definition"])
        return found + [e for v in node.values() for e in expressions(v)]
    if isinstance(node, list):
        return [e for v in node for e in expressions(v)]
    return []


def answers(prom: Prometheus, expr: str) -> list[Any]:
    """What Grafana would show: the values of a query, or of a label_values() variable."""
    variable = LABEL_VALUES.match(expr)
    if variable:
        return prom.label_values(variable.group(2), variable.group(1))
    return [float(r["value"][1]) for r in prom.query(expr)]


async def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = await asyncio.to_thread(check)
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: still {got!r} after {timeout}s"
        await asyncio.sleep(1)


def bad_messages(n: int) -> list[bytes]:
    return [b"{not json %d" % i for i in range(n)]


async def test_every_dashboard_query_answers_from_a_real_prometheus(
        worker: WorkerProcess, api: TestClient, settings: Settings, app_key: str,
        tmp_path: Path) -> None:
    targets = {"eye-api": f"127.0.0.1:{api.port}",
               "eye-worker": f"127.0.0.1:{settings.worker_port}"}
    board = DASHBOARD.read_text()
    board = board.replace("$consumergroup", settings.consumer_group)
    board = board.replace("$topic", settings.topic)
    exprs = expressions(json.loads(board))
    assert len(exprs) >= 15

    with running(targets, tmp_path) as prom:
        def all_up() -> bool:
            active = prom.get("/api/v1/targets")["activeTargets"]
            return len(active) == 2 and all(t["health"] == "up" for t in active)

        await until(all_up, "both targets scraped")
        # Two waves a few scrapes apart, so that every counter (the rejections' too, whose
        # series starts at its first rejection) has moved inside the rate windows.
        for seed in (1, 2):
            produce(settings, [*demo_events(sessions=4, seed=seed), *bad_messages(3)],
                    app_key=app_key)
            await until(lambda: answers(prom, "sum(eye_events_received_total)") == [
                float(seed * (len(demo_events(sessions=4, seed=seed)) + 3))] or None,
                "the worker's count of messages read")
            await asyncio.sleep(3)

        def numbers() -> dict[str, list[Any]]:
            return {e: answers(prom, e) for e in exprs}

        def all_answer() -> bool:
            got = numbers()
            return all(v and all(isinstance(x, str) or math.isfinite(x) for x in v)
                       for v in got.values())

        try:
            await until(all_answer, "every dashboard expression with a finite answer", 60)
        except AssertionError:
            bad = {e: v for e, v in numbers().items()
                   if not v or any(isinstance(x, float) and not math.isfinite(x) for x in v)}
            raise AssertionError(f"dashboard expressions without a finite answer: {bad}") from None
        got = numbers()
        assert got[f'sum(kafka_consumergroup_lag{{consumergroup="{settings.consumer_group}", '
                   f'topic="{settings.topic}"}})'] == [0.0]
        assert got["sum(eye_worker_up)"] == [1.0]
        assert got["sum(rate(eye_events_stored_total[1m]))"][0] > 0
        assert got["sum(rate(eye_events_rejected_total[1m]))"][0] > 0
        assert settings.consumer_group in got["label_values(kafka_consumergroup_lag, consumergroup)"]

        # The alert rules load and evaluate against these metrics without error.
        groups = prom.get("/api/v1/rules")["groups"]
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        assert set(rules) == {"EyeLagGrowing", "EyeWorkerDown", "EyeRejectionsSpiking",
                              "EyeNoEventsStored"}
        await until(lambda: all(r["health"] == "ok" and r.get("lastEvaluation", "").startswith("2")
                                for g in prom.get("/api/v1/rules")["groups"] for r in g["rules"]),
                    "every rule evaluated")

        def alerts() -> dict[str, str]:
            return {a["labels"]["alertname"]: a["state"] for a in prom.get("/api/v1/alerts")["alerts"]}

        assert "EyeWorkerDown" not in alerts()
        worker.stop()
        await until(lambda: alerts().get("EyeWorkerDown") == "pending",
                    "EyeWorkerDown pending once the worker stops", 30)
