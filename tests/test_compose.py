"""docker-compose.yml and the settings agree: no Docker engine runs here, so check the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from base.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
FIELDS = {f"EYE_{name.upper()}" for name in Settings.model_fields}


def eye_env(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()
            if k.startswith("EYE_")}


def test_every_eye_key_is_a_setting() -> None:
    for name in ("setup", "worker", "api"):
        unknown = set(eye_env(name)) - FIELDS
        assert not unknown, f"{name}: {unknown} are not fields of Settings"


def test_settings_parse_from_the_compose_environment() -> None:
    for name in ("setup", "worker", "api"):
        Settings(**{k.removeprefix("EYE_").lower(): v for k, v in eye_env(name).items()})


def test_addresses_name_the_compose_services() -> None:
    env = eye_env("worker")
    host, port = env["EYE_KAFKA_BOOTSTRAP"].split(":")
    assert host == "kafka" and f"PLAINTEXT://:{port}" in SERVICES["kafka"]["environment"]["KAFKA_LISTENERS"]
    dsn = env["EYE_DATABASE_URL"]
    pg = SERVICES["postgres"]["environment"]
    assert dsn == (f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}"
                   f"@postgres:5432/{pg['POSTGRES_DB']}")


def test_published_ports_are_the_ones_the_processes_listen_on() -> None:
    api, worker = eye_env("api"), eye_env("worker")
    assert f"127.0.0.1:{api['EYE_API_PORT']}:{api['EYE_API_PORT']}" in SERVICES["api"]["ports"]
    assert (f"127.0.0.1:{worker['EYE_WORKER_PORT']}:{worker['EYE_WORKER_PORT']}"
            in SERVICES["worker"]["ports"])
    assert api["EYE_API_HOST"] == worker["EYE_WORKER_HOST"] == "0.0.0.0"
    assert Settings().api_port == int(api["EYE_API_PORT"])
    assert Settings().worker_port == int(worker["EYE_WORKER_PORT"])


def test_every_published_port_is_reachable_from_this_machine_only() -> None:
    # PostgreSQL's password is eye and Kafka's listener is plaintext: neither may face a network.
    published = {name: s["ports"] for name, s in SERVICES.items() if "ports" in s}
    assert {"kafka", "postgres", "worker", "api"} <= set(published)
    for name, ports in published.items():
        for port in ports:
            assert isinstance(port, str) and port.startswith("127.0.0.1:") \
                and port.count(":") == 2, f"{name} publishes {port!r} beyond 127.0.0.1"


def test_images_are_kafka_4_in_kraft_mode() -> None:
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("setup", "worker", "api"):
        assert SERVICES[name]["build"] == "."


# ---- Restarts and health checks -----------------------------------------------------------------

LONG_RUNNING = ("kafka", "postgres", "worker", "api", "prometheus", "grafana")
URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/[\w/-]*)")


def probe(service: str) -> tuple[int, str]:
    """The port and path a service's health check asks, from its command."""
    found = URL.findall(" ".join(SERVICES[service]["healthcheck"]["test"]))
    assert len(found) == 1, f"{service}: no single URL in its health check"
    return int(found[0][0]), found[0][1]


def test_docker_restarts_the_long_running_services() -> None:
    for name in LONG_RUNNING:
        assert SERVICES[name].get("restart") == "unless-stopped", name
    assert "restart" not in SERVICES["setup"]  # it runs once


def test_every_long_running_service_has_a_health_check() -> None:
    for name in LONG_RUNNING:
        check = SERVICES[name]["healthcheck"]
        assert check["test"][0] == "CMD" and len(check["test"]) > 1, name
        assert check.get("interval") and check.get("retries"), name


def test_the_worker_and_api_health_checks_ask_their_healthz_on_their_ports() -> None:
    assert probe("api") == (int(eye_env("api")["EYE_API_PORT"]), "/healthz")
    assert probe("worker") == (int(eye_env("worker")["EYE_WORKER_PORT"]), "/healthz")
    # The image has no curl; the checks run its Python.
    for name in ("api", "worker"):
        command = SERVICES[name]["healthcheck"]["test"]
        assert command[1:3] == ["python", "-c"], name
        compile(command[3], f"{name} health check", "exec")
    # Both paths are routes the processes serve.
    from eye.server import create_server

    routes = {r.canonical for r in create_server(Settings()).router.resources()}
    assert "/healthz" in routes
    assert '@app.page("/healthz")' in (ROOT / "streams" / "health.py").read_text()


def test_kafka_and_postgres_health_checks_ask_the_broker_and_database_the_services_run() -> None:
    kafka = SERVICES["kafka"]["healthcheck"]["test"]
    server = kafka[kafka.index("--bootstrap-server") + 1]
    port = server.split(":")[1]
    assert server.startswith("localhost:")
    assert f"PLAINTEXT://:{port}" in SERVICES["kafka"]["environment"]["KAFKA_LISTENERS"]
    postgres = SERVICES["postgres"]["healthcheck"]["test"]
    user = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    assert postgres[1] == "pg_isready" and postgres[postgres.index("-U") + 1] == user


def test_prometheus_and_grafana_health_checks_ask_their_published_ports() -> None:
    assert probe("prometheus") == (9090, "/-/healthy")
    assert probe("grafana") == (3000, "/api/health")
    for name in ("prometheus", "grafana"):
        assert f"127.0.0.1:{probe(name)[0]}:{probe(name)[0]}" in SERVICES[name]["ports"]


def test_the_worker_and_api_wait_for_healthy_dependencies() -> None:
    for name in ("worker", "api"):
        after = SERVICES[name]["depends_on"]
        assert after["kafka"] == after["postgres"] == {"condition": "service_healthy"}, name
        assert after["setup"] == {"condition": "service_completed_successfully"}, name
    for name, service in SERVICES.items():  # a healthy condition needs a health check
        after = service.get("depends_on", {})
        for dependency, rule in (after.items() if isinstance(after, dict) else ()):
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{name} waits on {dependency}"


# ---- Prometheus and Grafana ---------------------------------------------------------------------

DEPLOY = ROOT / "deploy"
PROMETHEUS = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
DASHBOARD = json.loads((DEPLOY / "grafana" / "dashboards" / "the-eye.json").read_text())
METRIC = re.compile(r"\b((?:eye|kafka)_[a-z0-9_]+)")


def test_prometheus_scrapes_the_compose_services_on_their_ports() -> None:
    ports = {"api": eye_env("api")["EYE_API_PORT"], "worker": eye_env("worker")["EYE_WORKER_PORT"]}
    targets = {t for job in PROMETHEUS["scrape_configs"] for c in job["static_configs"]
               for t in c["targets"]}
    assert targets == {f"{name}:{port}" for name, port in ports.items()}
    assert all(job.get("metrics_path", "/metrics") == "/metrics"
               for job in PROMETHEUS["scrape_configs"])


def test_prometheus_and_grafana_mount_files_of_the_repository() -> None:
    for name, port in (("prometheus", 9090), ("grafana", 3000)):
        service = SERVICES[name]
        assert f"127.0.0.1:{port}:{port}" in service["ports"]
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"
            else:
                assert source in COMPOSE["volumes"], f"{name}: volume {source} is not declared"
    assert SERVICES["prometheus"]["image"].startswith("prom/prometheus:")
    assert SERVICES["grafana"]["image"].startswith("grafana/grafana:")
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources"
                                 / "prometheus.yml").read_text())["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards"
                               / "the-eye.yml").read_text())["providers"][0]
    mounted = {v.split(":")[1] for v in SERVICES["grafana"]["volumes"]}
    assert provider["options"]["path"] in mounted


def _exprs(node: object) -> list[str]:
    """Every PromQL expression in the dashboard: panel targets and template variable queries."""
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        if isinstance(node.get("definition"), str):
            found.append(node["definition"])
        return found + [e for v in node.values() for e in _exprs(v)]
    if isinstance(node, list):
        return [e for v in node for e in _exprs(v)]
    return []


def test_every_metric_in_the_dashboard_is_one_we_export() -> None:
    from monitor import metrics
    from streams import metrics as worker_metrics

    histograms = {"eye_batch_size", "eye_sink_seconds", "eye_ingest_to_stored_seconds"}
    exported = set(metrics.NAMES) | set(worker_metrics.NAMES)
    exported |= {h + suffix for h in histograms for suffix in ("_bucket", "_sum", "_count")}
    exprs = _exprs(DASHBOARD)
    assert len(exprs) >= 10
    used = {name for e in exprs for name in METRIC.findall(e)}
    unknown = used - exported
    assert unknown == set(), f"the dashboard charts metrics nobody exports: {unknown}"
    # And it charts what the operators watch.
    for name in ("kafka_consumergroup_lag", "eye_consumergroup_lag_seconds",
                 "eye_events_received_total", "eye_events_stored_total",
                 "eye_events_rejected_total", "eye_ingest_to_stored_seconds_bucket",
                 "eye_batch_size_bucket"):
        assert name in used, name


def test_the_dashboard_has_the_panels_the_issue_asks_for() -> None:
    titles = {p["title"] for p in DASHBOARD["panels"]}
    assert {"Lag per partition", "Lag in seconds per partition", "Rates: in, stored, rejected",
            "Rejections by reason", "Ingest-to-stored latency", "Batch size"} <= titles
    assert all(p["datasource"]["uid"] == "eye-prometheus" for p in DASHBOARD["panels"])
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
