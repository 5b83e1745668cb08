"""The way past a batch the consumer cannot read: asked for by an operator (`eye set-aside`), or
taken on its own when only one record's form failed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faust.types import TP

from kafka_edge.hole_reader import HoleUnreadable, Record, read_hole
from streams.offsets import Handled
from streams.parts import Parts

log = logging.getLogger(__name__)

# Failures of one record's form, not of the batch's bytes: read past without an operator.
RECORD_LEVEL = ("UnicodeDecodeError:",)


async def set_aside(parts: Parts, partition: int, *, readable: bool = False) -> None:
    """The batch's records are read with librdkafka (it has every codec and skips CRC checks)
    and become error rows, or, when only a record's form failed (`readable`), are handled as
    usual; the partition reads on after the batch once they are stored."""
    app, settings, ingest = parts.app, parts.settings, parts.ingest
    stall = app.stalls.get(settings.topic, partition)
    if stall is None:
        log.warning("set-aside of %s[%d] ignored: it does not stand still on this worker",
                    settings.topic, partition)
        return
    # Offsets before the batch that were never handed over are read first, as a hole.
    batch = stall.batch or range(stall.offset, stall.offset + 1)
    try:
        records: list[Record] | None = await asyncio.to_thread(
            read_hole, settings.kafka_bootstrap, settings.topic, partition, batch)
    except HoleUnreadable as exc:
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

    async with parts.handling:
        await parts.in_order.set_aside(tp, generation, batch, records, keep)
        await parts.sink.flush()
    await app.seek_past(settings.topic, partition, batch.stop)
    log.warning("%s[%d] offsets %d-%d %s; reading on", settings.topic, partition,
                batch.start, batch.stop - 1, "read with librdkafka" if readable and records
                else "set aside as unreadable_batch errors")


def read_past_odd_records(parts: Parts) -> None:
    """A batch that is sound but holds a record aiokafka cannot decode (a header name that is
    not UTF-8) needs no operator: librdkafka reads it, and it is handled as usual."""
    app, settings = parts.app, parts.settings

    @app.timer(interval=1.0)
    async def read_past_odd_records() -> None:
        for stall in app.stalls.all():
            if stall.topic == settings.topic and stall.reason.startswith(RECORD_LEVEL):
                try:
                    await set_aside(parts, stall.partition, readable=True)
                except Exception:  # an exception in a timer would stop the whole worker
                    log.exception("%s[%d]: reading past offset %d failed; trying again",
                                  stall.topic, stall.partition, stall.offset)
