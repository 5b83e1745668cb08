"""Debian's Prometheus (scripts/test-deps.sh installs it), run for one test on a free port with
the repository's config, its targets pointed at the test's own API and worker."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.fixtures.services import ROOT
from tests.fixtures.stack import free_port

CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"


def tool(name: str) -> str:
    """The path of prometheus or promtool; the test fails (never skips) without them."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: run scripts/test-deps.sh", pytrace=False)
    return found


def config_for(targets: dict[str, str], interval: str) -> dict[str, Any]:
    """The shipped config with each job's targets replaced (job name -> host:port), scraped and
    evaluated every `interval`, its rule files found beside the shipped config."""
    config = yaml.safe_load(CONFIG.read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == set(targets), f"the shipped config scrapes {jobs}"
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    config["global"].update(scrape_interval=interval, scrape_timeout=interval,
                            evaluation_interval=interval)
    config["rule_files"] = [str(CONFIG.parent / f) for f in config.get("rule_files", [])]
    return config


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as resp:
            body = orjson.loads(resp.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.get("/api/v1/query", query=expr)
        assert data["resultType"] == "vector", data
        return data["result"]  # type: ignore[no-any-return]

    def label_values(self, label: str, match: str) -> list[str]:
        return self.get(f"/api/v1/label/{label}/values", **{"match[]": match})  # type: ignore


@contextmanager
def running(targets: dict[str, str], workdir: Path, interval: str = "1s") -> Iterator[Prometheus]:
    """Prometheus on 127.0.0.1, stopped (and waited for) on the way out."""
    binary = tool("prometheus")
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(config_for(targets, interval)))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, f"--config.file={config}",
                                 f"--storage.tsdb.path={workdir / 'data'}",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"prometheus exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"prometheus not ready:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield Prometheus(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
