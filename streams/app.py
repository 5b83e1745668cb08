"""The Faust worker: the `eye-events` topic in, session state in tables, rows to the sink."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
from aiohttp.web import Response
from psycopg import AsyncConnection

from eye.settings import Settings
from monitor import worker_metrics as metrics
from store.maintenance import upkeep
from store.replay import stored_session_events
from store.rows import Batch, ErrorRow
from store.writer import Writer
from streams import rows
from streams.apps import AppResolver
from streams.sessions import Session, already_applied, apply, rebuild
from streams.sink import BatchSink
from validators import Event, Policy, Reason, Rejection, validate

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> Policy:
    return Policy(max_message_bytes=settings.max_message_bytes, max_depth=settings.max_depth,
                  max_clock_skew=settings.max_clock_skew,
                  unknown_event_types=settings.unknown_event_types)


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.consumer_group,
        broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(",")],
        store=settings.table_store,
        datadir=str(settings.state_dir),
        topic_partitions=settings.topic_partitions,
        table_standby_replicas=settings.standby_replicas,
        consumer_auto_offset_reset="earliest",
        web_host=settings.worker_host,
        web_bind=settings.worker_host,
        web_port=settings.worker_port,
        producer_acks=-1,
        # Each table write produces a changelog record; lingering packs them into few requests.
        producer_linger=0.05,
        producer_max_batch_size=1_048_576,
        broker_session_timeout=settings.kafka_session_timeout,
        broker_heartbeat_interval=settings.kafka_session_timeout / 4,
        # Everything is bytes we encode ourselves; Faust's default JSON codec would re-encode.
        key_serializer="raw",
        value_serializer="raw",
    )
    topic = app.topic(settings.topic, partitions=settings.topic_partitions,
                      key_serializer="raw", value_serializer="raw")
    control = app.topic(settings.control_topic, partitions=settings.topic_partitions,
                        key_serializer="raw", value_serializer="raw")
    dlq = app.topic(settings.dlq_topic, partitions=settings.topic_partitions,
                    key_serializer="raw", value_serializer="raw")
    # Session id -> Session (as JSON bytes), in RocksDB and a changelog topic.
    sessions = app.Table("sessions", partitions=settings.topic_partitions,
                         key_type=bytes, value_type=bytes)
    # Client event id -> where it was first read; forgets after the dedup window.
    window = int(settings.dedup_window.total_seconds())
    seen_ids = app.Table("seen-event-ids", partitions=settings.topic_partitions,
                         key_type=bytes, value_type=bytes, options={"ttl": window},
                         extra_topic_configs={"cleanup.policy": "compact,delete",
                                              "retention.ms": str(window * 1000)})
    policy = policy_from(settings)
    apps = AppResolver(settings.dsn, ttl=settings.app_cache_seconds)

    async def dead_letters(errors: list[ErrorRow]) -> None:
        for e in errors:
            await dlq.send(key=None, value=rows.dead_letter(e), partition=e.source.partition)

    def stored(batch: Batch, seconds: float, extra: list[ErrorRow]) -> None:
        metrics.observe_batch(batch, seconds, time.time(), extra)

    sink = BatchSink(Writer(settings.dsn), max_rows=settings.batch_size,
                     max_wait=settings.batch_interval, dead_letters=dead_letters,
                     on_stored=stored)

    def first_seen_elsewhere(event: Event, partition: int, offset: int) -> str | None:
        """Where this client event id was read before, if not here; remembers it otherwise."""
        if event.event_id is None:
            return None  # a derived id is unique to its place by construction
        key = event.event_id.bytes
        here = f"{partition}:{offset}".encode()
        before = seen_ids.get(key)
        if before is None:
            seen_ids[key] = here
            return None
        return None if before == here else before.decode()

    # Held while one message is handled, so a session rebuilt from the database is not
    # overwritten halfway by the ingest loop.
    handling = asyncio.Lock()

    @app.agent(topic, name="ingest")
    async def ingest(stream: faust.StreamT[Any]) -> None:
        # Acks are ours: a message is acked when its row is stored, not when it was read.
        async for message_event in stream.noack().events():
            async with handling:
                await handle(message_event)

    async def handle(message_event: Any) -> None:
        metrics.observe_received()
        msg = message_event.message
        headers = list(msg.headers.items() if isinstance(msg.headers, dict)
                       else msg.headers or [])
        app_key = next((v for k, v in headers if k == rows.APP_KEY_HEADER), None)
        src = rows.source(topic=msg.topic, partition=msg.partition, offset=msg.offset,
                          payload=msg.value, headers=headers, received_at=datetime.now(UTC),
                          kafka_timestamp=msg.timestamp)
        app_id = await apps.resolve(app_key)
        session = None
        try:
            outcome = check(msg.value, app_key, app_id, src.received_at)
            if isinstance(outcome, Event):
                elsewhere = first_seen_elsewhere(outcome, msg.partition, msg.offset)
                if elsewhere is not None:
                    outcome = Rejection(Reason.DUPLICATE_EVENT,
                                        f"event_id {outcome.event_id}: already read at "
                                        f"partition:offset {elsewhere}")
            if isinstance(outcome, Event):
                session = track(outcome, app_id, msg.partition, msg.offset)
                row: Any = rows.event_row(outcome, src, app_id)
            else:
                row = rows.error_row(outcome, src, app_id, app_key)
        except Exception as exc:  # one message's surprise must not stop its partition
            log.exception("%s[%d] offset=%d: unexpected failure", msg.topic, msg.partition,
                          msg.offset)
            row = rows.error_row(Rejection(Reason.INTERNAL_ERROR,
                                           f"{type(exc).__name__}: {exc}"), src, app_id,
                                 app_key)
        await sink.add(row, message_event, session)

    def check(value: bytes | None, app_key: bytes | None, app_id: int | None,
              received_at: datetime) -> Event | Rejection:
        if app_id is None:
            why = "missing" if not app_key else "unknown or revoked key"
            return Rejection(Reason.UNAUTHORIZED_APP, f"header {rows.APP_KEY_HEADER}: {why}")
        return validate(value, received_at=received_at, policy=policy)

    def track(event: Event, app_id: int | None, partition: int, offset: int) -> Any:
        key = event.session_id.encode()
        raw = sessions.get(key)
        state = Session.from_bytes(raw) if raw is not None else None
        if not already_applied(state, partition, offset):
            state = apply(state, event, application_id=app_id, partition=partition,
                          offset=offset)
            sessions[key] = state.to_bytes()
        assert state is not None
        return rows.session_row(state)

    @app.agent(control, name="control")
    async def control_commands(stream: faust.StreamT[Any]) -> None:
        async for command in stream:
            try:
                body = orjson.loads(command)
                action, sid = body.get("action"), str(body["session_id"])
            except (orjson.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
                log.error("control message ignored (%s): %r", exc, command[:200])
                continue
            if action == "forget_session":
                sessions.pop(sid.encode(), None)
            elif action == "rebuild_session":
                async with handling:
                    await sink.flush()  # what this worker holds for the session is stored first
                    async with await AsyncConnection.connect(settings.dsn) as conn:
                        stored = await stored_session_events(conn, sid)
                    state = rebuild(sid, stored)
                    if state is not None:
                        sessions[sid.encode()] = state.to_bytes()
                        await sink.add_session(rows.session_row(state))

    @app.timer(interval=3600.0, on_leader=True)
    async def partition_upkeep() -> None:
        done = await upkeep(settings.dsn, datetime.now(UTC).date(), ahead=settings.partitions_ahead,
                            retention_months=settings.retention_months)
        if done.dropped:
            log.info("dropped expired partitions: %s", ", ".join(done.dropped))

    @app.timer(interval=max(settings.batch_interval / 2, 0.05))
    async def flush_due() -> None:
        if sink.due():
            await sink.hand_off()

    def up() -> bool:
        return bool(app.consumer and app.consumer.assignment()) and not app.rebalancing

    metrics.watch_sessions(lambda: metrics.table_size(sessions))
    metrics.watch_up(up)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Response:
        body, headers = metrics.render()
        return web.bytes(body, content_type=headers["Content-Type"].split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Response:
        assigned = len(app.consumer.assignment()) if app.consumer else 0
        return web.json({"status": "ok", "assigned_partitions": assigned,
                         "rebalancing": app.rebalancing})

    return app
