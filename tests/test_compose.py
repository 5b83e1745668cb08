"""docker-compose.yml and the settings agree: no Docker engine runs here, so check the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from eye.settings import Settings

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
    assert f"{api['EYE_API_PORT']}:{api['EYE_API_PORT']}" in SERVICES["api"]["ports"]
    assert f"{worker['EYE_WORKER_PORT']}:{worker['EYE_WORKER_PORT']}" in SERVICES["worker"]["ports"]
    assert api["EYE_API_HOST"] == worker["EYE_WORKER_HOST"] == "0.0.0.0"
    assert Settings().api_port == int(api["EYE_API_PORT"])
    assert Settings().worker_port == int(worker["EYE_WORKER_PORT"])


def test_images_are_kafka_4_in_kraft_mode() -> None:
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("setup", "worker", "api"):
        assert SERVICES[name]["build"] == "."
