"""The Faust worker: topics, tables and agents wired to the ingest logic and the sink. Each
piece of the worker's work lives in a module of its own; this one only puts them together."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import faust

from base import memory
from base.policy import policy_from
from base.settings import Settings
from kafka_edge.hole_reader import Record, read_hole
from store.partitions import Window
from store.recall import Recall
from store.rows import Batch, ErrorRow
from store.writer import Writer
from streams import control, fetching, metrics, set_aside, to_rows
from streams.app_resolver import AppResolver
from streams.commits import committer
from streams.health import serve_health
from streams.ingest import Ingest
from streams.metadata import ConsumerMetadata, KnownTopics
from streams.offsets import OffsetTracker
from streams.parts import Parts
from streams.resume import resume_positions_of
from streams.sequence import Sequencer
from streams.sink import BatchSink
from streams.stalls import Stalls
from streams.upkeep import keep_partitions

# Messages handled together, and how long to wait for them to gather: at 2,000 events/s a
# batch is about 40 messages, so the wait is what a message waits at low rates.
TAKE, TAKE_WITHIN = 1000, 0.02


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
    commands, dlq = raw_topic(settings.control_topic), raw_topic(settings.dlq_topic)
    # Session id -> Session bytes, in RocksDB and a changelog topic.
    sessions = app.Table("sessions", partitions=settings.topic_partitions,
                         key_type=bytes, value_type=bytes)
    async def dead_letters(errors: list[ErrorRow]) -> None:
        for e in errors:
            await dlq.send(key=None, value=to_rows.dead_letter(e), partition=e.source.partition)

    def stored(batch: Batch, seconds: float, extra: list[ErrorRow]) -> None:
        metrics.observe_batch(batch, seconds, time.time(), extra)

    offsets = OffsetTracker()
    writer = Writer(settings.dsn, Window(settings.max_event_age, settings.partitions_ahead))
    sink = BatchSink(writer, release=committer(app, offsets), max_rows=settings.batch_size,
                     max_wait=settings.batch_interval, dead_letters=dead_letters,
                     on_stored=stored)
    ingest = Ingest(policy=policy_from(settings),
                    apps=AppResolver(settings.dsn, ttl=settings.app_cache_seconds),
                    sink=sink, sessions=sessions,
                    recall=Recall(settings.dsn, on_outage=lambda since, attempts:
                                  sink.note_outage(since, attempts, "batches")))

    async def read_hole_of(partition: int, hole: range) -> list[Record]:
        return await asyncio.to_thread(read_hole, settings.kafka_bootstrap, settings.topic,
                                       partition, hole)

    in_order = Sequencer(offsets, ingest.handle_batch,
                         resume_positions=resume_positions_of(settings), read_hole=read_hole_of)
    parts = Parts(app, settings, ingest, sink, in_order, asyncio.Lock())
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
            async with parts.handling:
                await in_order(messages)

    control.obey(parts, commands, known)
    set_aside.read_past_odd_records(parts)
    keep_partitions(app, settings)

    # Checked five times per interval: a row waits at most a fifth of it past its due time
    # (at half, the check alone added 0.125 s to the p99 of freshness).
    @app.timer(interval=max(settings.batch_interval / 5, 0.02))
    async def flush_due() -> None:
        if sink.due():
            await sink.hand_off()

    serve_health(app, sessions, ingest)
    return app


def run_worker(settings: Settings, *, loglevel: str = "info") -> None:
    """Run the worker until it is stopped (`eye worker`)."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)  # RocksDB makes only the last level
    app = create_app(settings)
    memory.settle()
    faust.Worker(app, loglevel=loglevel).execute_from_commandline()
