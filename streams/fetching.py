"""Faust's aiokafka consumer, made to stall one partition on a batch it cannot read instead of
stopping the worker (why: streams/stalls.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiokafka
import faust
from aiokafka.errors import ConsumerStoppedError
from aiokafka.structs import TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.delivery import InboxDelivery, Inbox
from streams.stalls import Stall, Stalls
from streams.web import Web

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """Where a record-decoding failure happened, and what the failed fetch had already read.

    Read from the frames the exception passed through: aiokafka's records iterator
    (`_unpack_records`) holds the partition, the next offset due and the batch; `getall` the
    partition's records read before it; `fetched_records` the other partitions' records.
    """

    tp: TopicPartition
    offset: int
    batch: range | None
    read: dict[TopicPartition, list[Any]]


def failure_of(exc: BaseException) -> Failure | None:
    """None for failures raised anywhere but in decoding records."""
    tb: TracebackType | None = exc.__traceback__
    where: tuple[TopicPartition, int, range | None] | None = None
    read: dict[TopicPartition, list[Any]] = {}
    while tb is not None:
        frame, names = tb.tb_frame, tb.tb_frame.f_locals
        if frame.f_code.co_name == "fetched_records":
            read.update(names.get("drained") or {})
        elif frame.f_code.co_name == "getall" and names.get("ret_list"):
            read[names["self"]._topic_partition] = list(names["ret_list"])
        elif frame.f_code.co_name == "_unpack_records":
            records = names.get("self")
            tp, offset = getattr(records, "_tp", None), getattr(records, "next_fetch_offset", None)
            batch = names.get("next_batch")
            try:
                span = range(batch.base_offset, batch.next_offset) if batch is not None else None
            except Exception:  # a batch too broken to tell its offsets
                span = None
            if isinstance(tp, TopicPartition) and isinstance(offset, int):
                where = (tp, offset, span)
        tb = tb.tb_next
    return Failure(*where, read) if where is not None else None


def reason(exc: BaseException) -> str:
    """'ExceptionName: what it said', without the code and name aiokafka puts in front."""
    said = re.sub(r"^(\[Error -?\d+\] )?\w+: ", "", str(exc))
    return f"{type(exc).__name__}: {said}"


@dataclass(frozen=True)
class Fetch:
    """How much the broker gathers for one fetch, or how long it waits for it (aiokafka's
    defaults unless told)."""

    min_bytes: int = 1
    max_wait: float = 1.5


class StallingConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Runs in Faust's consumer thread: every aiokafka call here is on that thread's loop."""

    @property
    def stalls(self) -> Stalls:
        return self.consumer.app.stalls  # type: ignore[attr-defined,no-any-return]

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Faust fixes the fetch wait at 1.5 s and leaves aiokafka's minimum of one byte: a
        # live stream then arrives in many small fetches (see base/settings.py).
        fetch = self.consumer.app.fetch  # type: ignore[attr-defined]
        consumer._fetch_min_bytes = fetch.min_bytes
        consumer._fetch_max_wait_ms = round(fetch.max_wait * 1000)
        return consumer

    async def _fetch_records(self, consumer: aiokafka.AIOKafkaConsumer, active_partitions: Any,
                             timeout: float | None = None, max_records: int | None = None
                             ) -> Any:
        stalls = self.stalls
        if stalls.keys():
            self._retry_stalled(consumer, stalls)
        try:
            records = await super()._fetch_records(consumer, active_partitions, timeout=timeout,
                                                   max_records=max_records)
        except ConsumerStoppedError:
            raise
        except Exception as exc:
            failure = failure_of(exc)
            if failure is None:
                raise
            # What was read before the bad batch is handed over; the partition goes on from
            # the batch once resumed (paused, aiokafka drops what it holds for it).
            consumer.seek(failure.tp, failure.offset)
            consumer.pause(failure.tp)
            stalls.stalled(Stall(failure.tp.topic, failure.tp.partition, failure.offset,
                                 failure.batch, reason(exc)))
            return failure.read
        if stalls.keys():
            for tp in records:
                stalls.moving(tp.topic, tp.partition)
        return records

    def _retry_stalled(self, consumer: aiokafka.AIOKafkaConsumer, stalls: Stalls) -> None:
        assigned = consumer.assignment()
        for topic, partition in stalls.keys():
            if TopicPartition(topic, partition) not in assigned:
                stalls.released(topic, partition)
        for topic, partition in stalls.due():
            consumer.resume(TopicPartition(topic, partition))

    async def seek_past(self, tp: TopicPartition, offset: int) -> None:
        """Read `tp` from `offset` on, and resume it."""
        await self.call_thread(self._seek_past, tp, offset)

    async def _seek_past(self, tp: TopicPartition, offset: int) -> None:
        consumer = self._ensure_consumer()
        consumer.seek(tp, offset)
        consumer.resume(tp)


class StallingConsumer(InboxDelivery, faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> StallingConsumerThread:
        return StallingConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = StallingConsumer


class App(faust.App):
    """A Faust app whose consumer stalls a partition it cannot read; `stalls` names them."""

    def __init__(self, *args: Any, fetch: Fetch | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stalls = Stalls()
        self.fetch = fetch or Fetch()
        self.inboxes: dict[str, Inbox] = {}

    def inbox(self, topic: faust.TopicT, maxsize: int) -> Inbox:
        """Deliver `topic`'s messages to an inbox instead of its agent's stream (see
        streams/delivery.py); Faust clears it with the streams' buffers."""
        inbox = self.inboxes[topic.get_topic_name()] = Inbox(maxsize)
        self.flow_control.manage_queue(inbox)  # type: ignore[arg-type]
        return inbox

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

    def _new_web(self) -> Web:
        return Web(self)

    async def seek_past(self, topic: str, partition: int, offset: int) -> None:
        """Move the consumer past a stalled batch, to `offset`, and read the partition again."""
        thread = self.consumer._thread  # type: ignore[attr-defined]
        await thread.seek_past(TopicPartition(topic, partition), offset)
