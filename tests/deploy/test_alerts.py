"""The alert rules as shipped: valid for promtool, and doing what alerts.test.yml says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.deploy.prometheus import CONFIG, tool
from tests.fixtures.services import ROOT

RULES = CONFIG.parent / "alerts.yml"
RULE_TESTS = CONFIG.parent / "alerts.test.yml"
ALERTS = {"EyeLagGrowing", "EyeWorkerDown", "EyeRejectionsSpiking", "EyeNoEventsStored"}


def promtool(*args: str) -> str:
    proc = subprocess.run([tool("promtool"), *args], capture_output=True, text=True,
                          cwd=CONFIG.parent)
    assert proc.returncode == 0, f"promtool {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_the_rules_pass_promtool_check() -> None:
    out = promtool("check", "rules", str(RULES))
    assert f"SUCCESS: {len(ALERTS)} rules found" in out


def test_the_shipped_config_loads_the_rules() -> None:
    assert "alerts.yml" in yaml.safe_load(CONFIG.read_text())["rule_files"]
    out = promtool("check", "config", str(CONFIG))
    assert "SUCCESS: 1 rule files found" in out and "SUCCESS: 4 rules found" in out


def test_docker_compose_mounts_the_rules_where_the_config_finds_them() -> None:
    prometheus = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["prometheus"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in prometheus["volumes"]}
    config = Path(mounts["./deploy/prometheus/prometheus.yml"])
    for rule_file in yaml.safe_load(CONFIG.read_text())["rule_files"]:
        assert mounts[f"./deploy/prometheus/{rule_file}"] == str(config.parent / rule_file)


def test_every_alert_is_unit_tested() -> None:
    rules = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert rules == ALERTS
    tested = {t["alertname"] for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]
              for t in case["alert_rule_test"]}
    assert tested == ALERTS
    promtool("test", "rules", str(RULE_TESTS))
