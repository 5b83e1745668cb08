"""The one settings object: every EYE_* environment variable, read once at start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # A backlog drains in batches this large: at 1,000 the writer's round trips held the worker
    # to 5,900 events/s, at 4,000 and 10,000 it read 7,700 (bench.ingest). A steady stream is
    # written every EYE_BATCH_INTERVAL long before a batch fills.
    batch_size: int = Field(5000, ge=1)
    batch_interval: float = Field(0.25, gt=0, description="seconds a row may wait for its batch")
    # A live stream fetched as it arrives comes in fetches of a few records each, and each
    # fetch costs the worker as much as dozens of records: the broker is asked to gather this
    # many bytes, or to wait this long, before it answers.
    fetch_min_bytes: int = Field(65_536, ge=1)
    fetch_max_wait: float = Field(0.02, gt=0, le=1.5)
    worker_host: str = "127.0.0.1"
    worker_port: int = 6066
    state_dir: Path = Path(".cache/worker")
    # RocksDB keeps session state on disk, so a restart reads back only the changelog's tail.
    table_store: str = "rocksdb://"
    standby_replicas: int = Field(1, ge=0)
    dedup_window: timedelta = timedelta(days=7)
    # A worker killed without leaving its group holds its partitions this long; short enough
    # for a quick takeover, long enough to ride out a pause.
    kafka_session_timeout: float = Field(10.0, gt=0)
    partitions_ahead: int = Field(2, ge=0, description="monthly partitions made ahead of time")
    retention_months: int = Field(0, ge=0, description="months of events kept; 0 keeps all")
    app_cache_seconds: float = Field(5.0, ge=0, description="how long an app key's check is trusted")

    # Validation
    max_message_bytes: int = Field(65536, ge=1)
    max_depth: int = Field(32, ge=1)
    max_clock_skew: timedelta = timedelta(seconds=60)
    # How far a timestamp may be behind its receipt. About 30 years (10958 days, leap days
    # included): wide enough for the seed's 2021 events and imports of any web-era history,
    # narrow enough to refuse the sentinels clients send by mistake (year 1, the zero time of
    # Go and .NET; 1970, an epoch of 0). It also bounds the months the writer makes partitions
    # for to about 360; a fixed first date instead would let that number grow without end.
    max_event_age: timedelta = timedelta(days=10958)
    unknown_event_types: Literal["accept", "reject"] = "accept"

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_pool_size: int = Field(8, ge=1)
    api_max_tokens: int = Field(2000, ge=1, description="lexical tokens a GraphQL document may hold")
    # Introspection fields count: the introspection query GraphiQL and gql send nests 15 deep.
    api_max_depth: int = Field(15, ge=1, description="nesting of fields in one operation")
    api_max_aliases: int = Field(20, ge=0, description="aliased fields in one operation, "
                                 "counted where fragments are spread")
    # The introspection query GraphiQL sends answers 617 objects; 2,000 of them take about 25 ms.
    api_max_introspection_objects: int = Field(2000, ge=1, description="objects the answers to "
                                               "one request's __schema and __type fields hold")
    api_max_statements: int = Field(20, ge=1, description="database statements one request may "
                                    "run: a field that reads the database, once per object")
    api_token_concurrency: int = Field(4, ge=1, description="statements of one token that hold "
                                       "a pool connection at once; keep it below api_pool_size")
    # Heavy requests (an aggregate over rows, such as errorCounts, or more statements or
    # objects than below) hold at most this many connections, however many tokens send them:
    # the others stay for light requests (a session, a page of events), and aggregates, each
    # one core of PostgreSQL's while it runs, leave it cores for the rest.
    api_heavy_concurrency: int = Field(2, ge=1, description="statements of heavy requests that "
                                       "hold a pool connection at once, over all tokens; below "
                                       "api_pool_size")
    api_light_max_statements: int = Field(2, ge=0, description="statements a light request may "
                                          "run (a session and its events: 2)")
    api_light_max_cost: int = Field(1100, ge=0, description="objects a light request may "
                                    "produce (a session and its events: 1,001)")
    # PostgreSQL's parallel query gives one aggregate two more processes by default: under
    # many clients that only lets one request take every core.
    api_parallel_workers: int = Field(0, ge=0, description="parallel workers one API statement "
                                      "may use (max_parallel_workers_per_gather)")
    # Each request's token check would otherwise take a pool connection of its own.
    api_token_cache_seconds: float = Field(5.0, ge=0, description="how long a token's check is "
                                           "trusted: a revoked token is refused within this; "
                                           "0 checks every request")
    api_max_cost: int = Field(20000, ge=1, description="objects an operation may produce, "
                              "page sizes multiplied through nesting")
    api_max_body_bytes: int = Field(65536, ge=1)
    api_max_url_bytes: int = Field(8190, ge=1, description="a longer URL is answered 414")
    api_max_header_bytes: int = Field(8190, ge=1, description="a longer header line is "
                                      "answered 431")
    api_statement_timeout_ms: int = Field(5000, ge=1)
    api_page_default: int = Field(100, ge=1, description="`first` when a query gives none")
    api_page_max: int = Field(1000, ge=1, description="the largest `first` allowed")
    api_list_max: int = Field(1000, ge=1, description="events in an unpaginated list "
                              "(a session's events, the seed's queries); more are cut with an error")
    api_graphiql_dir: Path = Path(".cache/graphiql")
    # Slow clients: a connection that sends its headers, or a request that sends its body, at a
    # byte a second would otherwise hold its handler for as long as it likes.
    api_header_timeout: float = Field(10.0, gt=0, description="seconds to send a request's "
                                      "headers, from connecting or the previous response")
    api_body_timeout: float = Field(30.0, gt=0, description="seconds to send a request's body, "
                                    "from its headers; later answered 408")
    api_max_connections: int = Field(1000, ge=1, description="open connections; one more is "
                                     "answered 503")
    # Where browsers reach the API, e.g. https://eye.example.com behind a TLS proxy: the API
    # itself sees plain http there, so only this tells it to mark the sign-in cookie Secure.
    public_url: str = Field("", pattern=r"^(https?://[^/?#]+/?)?$",
                            description="scheme://host[:port] browsers use; empty: not set")
    ui_cookie_max_age: int = Field(43200, ge=60, description="seconds a page sign-in lasts")

    # Pages
    ui_assets_dir: Path = Path(".cache/ui-assets")  # the chart library (scripts/ui-assets.sh)
    live_sample_interval: float = Field(5.0, gt=0, description="seconds between two samples of "
                                        "the live panel's charts (lag, rates)")
    live_history: float = Field(900.0, gt=0, description="seconds of samples the charts keep")
    # Subscriptions over WebSocket (graphql_api/ws.py); the per-token limits count every
    # connection of the token.
    api_ws_max_subscriptions: int = Field(20, ge=1, description="open subscriptions per token")
    api_ws_messages_per_second: float = Field(
        2000.0, gt=0, description="messages per second sent to one token's subscriptions")
    # Two of the worker's largest batches (EYE_BATCH_SIZE), which arrive at once.
    api_ws_buffer: int = Field(10000, ge=1, description="messages a subscription may have "
                               "waiting; one more drops the client as too slow (close 4503)")
    api_ws_init_timeout: float = Field(10.0, gt=0, description="seconds to send connection_init")
    api_ws_idle_timeout: float = Field(300.0, gt=0, description="seconds a connection may stay "
                                       "open without a subscription")
    api_ws_heartbeat: float = Field(30.0, gt=0, description="seconds between WebSocket pings; "
                                    "a peer that does not answer is closed")

    # Collector
    # A body stays under the producer's and broker's 1 MB message limit, so one huge event
    # still reaches the topic (and the worker's payload_too_large) instead of failing there.
    collector_max_body_bytes: int = Field(524288, ge=1, le=900_000)
    collector_max_events: int = Field(500, ge=1, description="events in one POST /v1/events")
    collector_delivery_timeout: float = Field(
        10.0, gt=0, description="seconds to wait for the broker's ack before answering 503")
    collector_linger_ms: float = Field(5.0, ge=0)
    collector_cors_origins: str = Field(
        "*", description="comma-separated origins that may POST from a browser, or *")

    @model_validator(mode="after")
    def _heavy_below_pool(self) -> Settings:
        if self.api_heavy_concurrency >= self.api_pool_size:
            raise ValueError(f"api_heavy_concurrency ({self.api_heavy_concurrency}) must be "
                             f"below api_pool_size ({self.api_pool_size}): light requests need "
                             "the rest")
        return self

    @field_validator("max_clock_skew", "max_event_age", "dedup_window", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        # An environment variable holds text: "60" means seconds, as ISO 8601 ("PT60S") does.
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value

    @property
    def dsn(self) -> str:
        return self.database_url.get_secret_value()
