"""The worker's port answers /metrics and /healthz, and nothing of Faust's own."""

from __future__ import annotations

import urllib.error
import urllib.request

from base.settings import Settings
from tests.fixtures.stack import WorkerProcess


def status(settings: Settings, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.worker_port}{path}",
                                    timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_only_metrics_and_healthz_are_served(worker: WorkerProcess, settings: Settings) -> None:
    assert status(settings, "/metrics") == 200
    assert status(settings, "/healthz") == 200
    for path in ("/", "/router/", "/table/", "/table/sessions/", "/table/sessions/s-1/",
                 "/graph/", "/stats/", "/performance/", "/signal/", "/assignments/"):
        assert status(settings, path) == 404, path
