"""The Faust worker: topics, tables and agents wired to the ingest logic and the sink."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
from faust.types import TP
from aiohttp.web import Response
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from psycopg import AsyncConnection

from eye import backoff
from eye.settings import Settings
from monitor import lag
from monitor import worker_metrics as metrics
from store.maintenance import upkeep
from store.replay import stored_session_events
from store.rows import Batch, ErrorRow
from store.partitions import Window
from store.recall import Recall
from store.writer import Writer
from streams import fetching, gaps, rows
from streams.apps import AppResolver
from streams.ingest import Ingest
from streams.metadata import ConsumerMetadata, KnownTopics
from streams.offsets import Handled, OffsetTracker
from streams.sequence import Sequencer
from streams.sink import BatchSink
from streams.stalls import Stalls
from validators import Policy

log = logging.getLogger(__name__)

# Messages handled together, and how long to wait for them to gather: at 2,000 events/s a
# batch is about 40 messages, so the wait is what a message waits at low rates.
TAKE, TAKE_WITHIN = 1000, 0.02

# Failures of one record's form, not of the batch's bytes: read past without an operator.
RECORD_LEVEL = ("UnicodeDecodeError:",)


def policy_from(settings: Settings) -> Policy:
    return Policy(max_message_bytes=settings.max_message_bytes, max_depth=settings.max_depth,
                  max_clock_skew=settings.max_clock_skew,
                  max_event_age=settings.max_event_age,
                  unknown_event_types=settings.unknown_event_types)


def app_options(settings: Settings) -> dict[str, Any]:
    """The worker's Faust settings: broker, table store, web port, serializers. The ingest
    benchmark's ceiling agent (bench/ceiling.py) reads with the same."""
    return dict(
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


def create_app(settings: Settings) -> faust.App:
    app = fetching.App(settings.consumer_group, **app_options(settings),
                       fetch=fetching.Fetch(settings.fetch_min_bytes, settings.fetch_max_wait))

    def raw_topic(name: str, *, acks: bool = True) -> faust.TopicT:
        return app.topic(name, partitions=settings.topic_partitions, acks=acks,
                         key_serializer="raw", value_serializer="raw")

    app.stalls = Stalls(on_change=metrics.observe_stall)
    # The input topic's offsets are committed by us, not by Faust: see streams/offsets.py.
    events = raw_topic(settings.topic, acks=False)
    control, dlq = raw_topic(settings.control_topic), raw_topic(settings.dlq_topic)
    # Session id -> Session bytes, in RocksDB and a changelog topic.
    sessions = app.Table("sessions", partitions=settings.topic_partitions,
                         key_type=bytes, value_type=bytes)
    async def dead_letters(errors: list[ErrorRow]) -> None:
        for e in errors:
            await dlq.send(key=None, value=rows.dead_letter(e), partition=e.source.partition)

    def stored(batch: Batch, seconds: float, extra: list[ErrorRow]) -> None:
        metrics.observe_batch(batch, seconds, time.time(), extra)

    offsets = OffsetTracker()

    async def release(stored: list[Handled]) -> None:
        offsets.stored(stored)
        due = offsets.committable(app.consumer_generation_id)
        # Faust's own commit path: it flushes the changelog producer first, so table state
        # is durable before the offsets that produced it, and skips revoked partitions.
        if due and await app.consumer._commit_offsets(due):
            offsets.committed(due)

    writer = Writer(settings.dsn, Window(settings.max_event_age, settings.partitions_ahead))
    sink = BatchSink(writer, release=release, max_rows=settings.batch_size,
                     max_wait=settings.batch_interval, dead_letters=dead_letters,
                     on_stored=stored)
    ingest = Ingest(policy=policy_from(settings),
                    apps=AppResolver(settings.dsn, ttl=settings.app_cache_seconds),
                    sink=sink, sessions=sessions,
                    recall=Recall(settings.dsn, on_outage=lambda since, attempts:
                                  sink.note_outage(since, attempts, "batches")))
    # Held while one message is handled, so a session rebuilt from the database is not
    # overwritten halfway by the ingest loop.
    handling = asyncio.Lock()
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})

    async def resume_positions() -> dict[int, int]:
        wait = backoff.delays(0.5, 10.0)
        while True:  # without the broker nothing is read anyway: wait for it
            try:
                return await asyncio.to_thread(lag.resume_positions, admin,
                                               settings.consumer_group, settings.topic)
            except KafkaException as exc:
                delay = next(wait)
                log.warning("where the group resumes %s is unknown (%s); asking again in %.1fs",
                            settings.topic, exc, delay)
                await asyncio.sleep(delay)

    async def read_hole(partition: int, hole: range) -> list[gaps.Record]:
        return await asyncio.to_thread(gaps.read_hole, settings.kafka_bootstrap, settings.topic,
                                       partition, hole)

    in_order = Sequencer(offsets, ingest.handle_batch, resume_positions=resume_positions,
                         read_hole=read_hole)
    # Faust's table writes need the changelog topic in the consumer's metadata (see
    # streams/metadata.py); only control commands write through Faust, the batches do not.
    known = KnownTopics(ConsumerMetadata(lambda: app.consumer, [
        sessions.changelog_topic.get_topic_name()]))

    inbox = app.inbox(events, maxsize=app.conf.stream_buffer_maxsize)

    @app.agent(events, name="ingest")
    async def ingest_events(stream: faust.StreamT[Any]) -> None:
        # The topic's messages come to the inbox, not the stream (streams/delivery.py). In
        # batches: what needs the database is asked once per batch. A message's offset is
        # committed when its row is stored, not when it was read.
        while True:
            messages = await inbox.take(TAKE, within=TAKE_WITHIN)
            async with handling:
                await in_order(messages)

    @app.agent(control, name="control")
    async def control_commands(stream: faust.StreamT[Any]) -> None:
        async for command in stream:
            try:
                body = orjson.loads(command)
                action = body.get("action")
                sid = str(body["session_id"]) if action != "set_aside" else ""
            except (orjson.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
                log.error("control message ignored (%s): %r", exc, command[:200])
                continue
            await known.wait(lambda: app.consumer_generation_id)
            if action == "forget_session":
                ingest.forget(sid)
            elif action == "set_aside":
                await set_aside(int(body["partition"]))
            elif action == "rebuild_session":
                async with handling:
                    await sink.flush()  # what this worker holds for the session is stored first
                    async with await AsyncConnection.connect(settings.dsn) as conn:
                        await ingest.rebuild(sid, await stored_session_events(conn, sid))

    async def set_aside(partition: int, *, readable: bool = False) -> None:
        """The way past a batch the consumer cannot read: its records are read with librdkafka
        (it has every codec and skips CRC checks) and become error rows, or, when only a
        record's form failed (`readable`), are handled as usual; the partition reads on after
        the batch once they are stored."""
        stall = app.stalls.get(settings.topic, partition)
        if stall is None:
            log.warning("set-aside of %s[%d] ignored: it does not stand still on this worker",
                        settings.topic, partition)
            return
        # Offsets before the batch that were never handed over are read first, as a hole.
        batch = stall.batch or range(stall.offset, stall.offset + 1)
        try:
            records: list[gaps.Record] | None = await asyncio.to_thread(
                gaps.read_hole, settings.kafka_bootstrap, settings.topic, partition, batch)
        except gaps.HoleUnreadable as exc:
            log.error("%s[%d] offsets %d-%d unreadable by librdkafka too (%s): one error row "
                      "without payload stands for them", settings.topic, partition,
                      batch.start, batch.stop - 1, exc)
            records = None
        tp = TP(settings.topic, partition)
        generation = app.consumer_generation_id

        async def keep(record: Any, token: Handled) -> None:
            if readable and not record.headers_unreadable:
                await ingest.handle(record, token)
            else:
                await ingest.set_aside(record, token, stall.reason)

        async with handling:
            await in_order.set_aside(tp, generation, batch, records, keep)
            await sink.flush()
        await app.seek_past(settings.topic, partition, batch.stop)
        log.warning("%s[%d] offsets %d-%d %s; reading on", settings.topic, partition,
                    batch.start, batch.stop - 1, "read with librdkafka" if readable and records
                    else "set aside as unreadable_batch errors")

    @app.timer(interval=1.0)
    async def read_past_odd_records() -> None:
        # A batch that is sound but holds a record aiokafka cannot decode (a header name that
        # is not UTF-8) needs no operator: librdkafka reads it, and it is handled as usual.
        for stall in app.stalls.all():
            if stall.topic == settings.topic and stall.reason.startswith(RECORD_LEVEL):
                try:
                    await set_aside(stall.partition, readable=True)
                except Exception:  # an exception in a timer would stop the whole worker
                    log.exception("%s[%d]: reading past offset %d failed; trying again",
                                  stall.topic, stall.partition, stall.offset)

    async def partition_upkeep() -> None:
        try:
            done = await upkeep(settings.dsn, datetime.now(UTC).date(),
                                ahead=settings.partitions_ahead,
                                retention_months=settings.retention_months,
                                dedup_window=settings.dedup_window)
        except Exception as exc:  # the next round tries again; rows still make their months
            log.warning("partition upkeep failed: %s", exc)
            return
        if done.dropped:
            log.info("dropped expired partitions: %s", ", ".join(done.dropped))

    app.task(partition_upkeep)
    app.timer(interval=3600.0)(partition_upkeep)

    # Checked five times per interval: a row waits at most a fifth of it past its due time
    # (at half, the check alone added 0.125 s to the p99 of freshness).
    @app.timer(interval=max(settings.batch_interval / 5, 0.02))
    async def flush_due() -> None:
        if sink.due():
            await sink.hand_off()

    def up() -> bool:
        return bool(app.consumer and app.consumer.assignment()) and not app.rebalancing

    # The table's keys and the sessions cached but not written to it yet (streams/ingest.py).
    metrics.watch_sessions(lambda: metrics.table_size(sessions) + ingest.unstored)
    metrics.watch_up(up)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Response:
        body, headers = metrics.render()
        return web.bytes(body, content_type=headers["Content-Type"].split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Response:
        assigned = len(app.consumer.assignment()) if app.consumer else 0
        stalled = [s.describe() for s in app.stalls.all()]
        return web.json({"status": "degraded" if stalled else "ok",
                         "assigned_partitions": assigned, "rebalancing": app.rebalancing,
                         "stalled": stalled})

    return app
