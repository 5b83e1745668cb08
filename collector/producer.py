"""confluent-kafka's Producer for asyncio: await the broker's ack without blocking the loop.

librdkafka calls delivery callbacks from whichever thread polls it; a thread of our own polls,
counts a request's acks down, and wakes the request's coroutine once, from that thread, when
the last one is in.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from base.settings import Settings
from collector.errors import Unavailable
from kafka_edge.clients import APP_KEY_HEADER, KafkaError, KafkaException, Message, producer

log = logging.getLogger(__name__)

KeyValue = tuple[bytes | None, bytes]


class _Batch:
    """The acks one request waits for; `pending` starts one high until every message is queued."""

    __slots__ = ("_future", "_lock", "_loop", "error", "pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._future: asyncio.Future[None] = loop.create_future()
        self._lock = threading.Lock()
        self.pending = 1
        self.error: KafkaError | None = None

    def queued(self) -> None:
        with self._lock:
            self.pending += 1

    def on_delivery(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None and self.error is None:
            self.error = err
        self._done_one()

    def not_queued(self) -> None:
        """Undo `queued` for a message that produce() refused."""
        self._done_one()

    def all_queued(self) -> None:
        self._done_one()

    def _done_one(self) -> None:
        with self._lock:
            self.pending -= 1
            last = self.pending == 0
        if last:
            try:
                self._loop.call_soon_threadsafe(self._resolve)
            except RuntimeError:  # the loop closed while we waited: nobody is listening
                pass

    def _resolve(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    async def wait(self, timeout: float) -> None:
        await asyncio.wait_for(asyncio.shield(self._future), timeout)


class AsyncProducer:
    """One producer per server; `send` returns once the broker has every message or raises."""

    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topic
        self.timeout = settings.collector_delivery_timeout
        self._producer = producer(settings.kafka_bootstrap, {
            "client.id": "eye-collector",
            "linger.ms": settings.collector_linger_ms,
            # librdkafka gives up on a message at the same moment we stop waiting for it, so a
            # 503 means "not written", and the client's retry makes no duplicate.
            "message.timeout.ms": int(settings.collector_delivery_timeout * 1000),
            "logger": logging.getLogger("collector.librdkafka"),
        })
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="collector-kafka-poll",
                                        daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    async def send(self, messages: Sequence[KeyValue], app_key: bytes) -> None:
        """Produce each (key, value) to the topic with the app key header; wait for all acks."""
        loop = asyncio.get_running_loop()
        batch = _Batch(loop)
        headers = [(APP_KEY_HEADER, app_key)]
        deadline = loop.time() + self.timeout
        try:
            for key, value in messages:
                batch.queued()
                while True:
                    try:
                        self._producer.produce(self.topic, value=value, key=key, headers=headers,
                                               on_delivery=batch.on_delivery)
                        break
                    except BufferError:  # local queue full: wait for acks to drain it
                        if loop.time() > deadline:
                            batch.not_queued()
                            raise Unavailable("the producer's queue stayed full") from None
                        await asyncio.sleep(0.005)
                    except KafkaException as exc:
                        batch.not_queued()
                        raise Unavailable(f"cannot produce: {exc.args[0].str()}") from None
        finally:
            batch.all_queued()
        try:
            # message.timeout.ms guarantees a callback; the margin only guards against a bug.
            await batch.wait(max(deadline - loop.time(), 0) + 5.0)
        except TimeoutError:
            raise Unavailable("the broker did not acknowledge in time") from None
        if batch.error is not None:
            log.warning("delivery to %s failed: %s", self.topic, batch.error.str())
            raise Unavailable(f"the broker did not take the events: {batch.error.str()}")

    async def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (waiting at most `timeout`), then stop polling."""
        left = await asyncio.get_running_loop().run_in_executor(
            None, self._producer.flush, timeout)
        if left:
            log.warning("%d message(s) still unsent at shutdown", left)
        self._stop.set()
        await asyncio.get_running_loop().run_in_executor(None, self._poller.join)
