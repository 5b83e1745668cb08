"""The one settings object: every EYE_* environment variable, read once at start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EYE_", frozen=True, extra="ignore")

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic: str = "eye-events"
    dlq_topic: str = "eye-events-dlq"
    control_topic: str = "eye-control"
    topic_partitions: int = Field(12, ge=1)
    consumer_group: str = "eye-worker"

    # PostgreSQL
    database_url: SecretStr = SecretStr("postgresql://eye:eye@127.0.0.1:5432/eye")

    # Worker
    batch_size: int = Field(1000, ge=1)
    batch_interval: float = Field(0.25, gt=0, description="seconds a row may wait for its batch")
    worker_host: str = "127.0.0.1"
    worker_port: int = 6066
    state_dir: Path = Path(".cache/worker")
    app_cache_seconds: float = Field(5.0, ge=0, description="how long an app key's check is trusted")

    # Validation
    max_message_bytes: int = Field(65536, ge=1)
    max_depth: int = Field(32, ge=1)
    max_clock_skew: timedelta = timedelta(seconds=60)
    unknown_event_types: Literal["accept", "reject"] = "accept"

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_pool_size: int = Field(8, ge=1)

    @property
    def dsn(self) -> str:
        return self.database_url.get_secret_value()
