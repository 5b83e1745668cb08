"""The Faust worker: the `eye-events` topic in, validated rows out to the batching sink."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import faust
from aiohttp.web import Response

from eye.settings import Settings
from store.writer import Writer
from streams.apps import AppResolver
from streams.rows import APP_KEY_HEADER, error_row, event_row
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
        store="memory://",
        datadir=str(settings.state_dir),
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        web_host=settings.worker_host,
        web_bind=settings.worker_host,
        web_port=settings.worker_port,
        producer_acks=-1,
    )
    topic = app.topic(settings.topic, partitions=settings.topic_partitions,
                      key_serializer="raw", value_serializer="raw")
    policy = policy_from(settings)
    apps = AppResolver(settings.dsn, ttl=settings.app_cache_seconds)
    sink = BatchSink(Writer(settings.dsn), max_rows=settings.batch_size,
                     max_wait=settings.batch_interval)

    @app.agent(topic, name="ingest")
    async def ingest(stream: faust.StreamT[Any]) -> None:
        # Acks are ours: a message is acked when its row is stored, not when it was read.
        async for event in stream.noack().events():
            msg = event.message
            received_at = datetime.now(UTC)
            headers = list(msg.headers.items() if isinstance(msg.headers, dict)
                           else msg.headers or [])
            app_key = next((v for k, v in headers if k == APP_KEY_HEADER), None)
            app_id = await apps.resolve(app_key)
            where = dict(topic=msg.topic, partition=msg.partition, offset=msg.offset,
                         application_id=app_id, received_at=received_at)
            try:
                if app_id is None:
                    outcome: Event | Rejection = Rejection(
                        Reason.UNAUTHORIZED_APP,
                        f"header {APP_KEY_HEADER}: " + ("missing" if not app_key
                                                         else "unknown or revoked key"))
                else:
                    outcome = validate(msg.value, received_at=received_at, policy=policy)
                if isinstance(outcome, Rejection):
                    row = error_row(outcome, payload=msg.value, headers=headers, **where)
                else:
                    row = event_row(outcome, **where)
            except Exception as exc:  # one message's surprise must not stop its partition
                log.exception("%s[%d] offset=%d: unexpected failure", msg.topic, msg.partition,
                              msg.offset)
                row = error_row(Rejection(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"),
                                payload=msg.value, headers=headers, **where)
            await sink.add(row, event)

    @app.timer(interval=max(settings.batch_interval / 2, 0.05))
    async def flush_due() -> None:
        if sink.due():
            await sink.flush()

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Response:
        assigned = len(app.consumer.assignment()) if app.consumer else 0
        return web.json({"status": "ok", "assigned_partitions": assigned,
                         "rebalancing": app.rebalancing})

    return app
