"""The worker's session table, read and written in its local store only, once per batch.

A Faust table write produces a changelog record, and that produce path was most of the cost of
an event. The session state needs none: its last stored state goes to PostgreSQL in the
transaction of its events (`sessions.state`), and a worker that takes a partition over picks a
session up from there when the stored state is newer than its own (streams/ingest.py). Faust's
stores place a key by the partition of the current event; a batch has many, so each access
names the message it is for.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import rocksdict
from faust.streams import _current_event


class _Origin:
    """What a Faust store reads of the current event: its message's topic and partition."""

    __slots__ = ("message", "__weakref__")

    def __init__(self, message: Any) -> None:
        self.message = message


@contextmanager
def _as_current(message: Any) -> Iterator[None]:
    origin = _Origin(message)
    token = _current_event.set(weakref.ref(origin))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)


class LocalTable:
    """A Faust table's own store: no changelog record, no sensors, placed by `message`. With
    RocksDB (the worker's store) it reads and writes the partition's database directly, which
    is most of the cost saved; any other store goes through Faust's path."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: bytes, message: Any) -> bytes | None:
        store = self._store
        if hasattr(store, "_db_for_partition"):
            return store._db_for_partition(message.partition).get(key)  # type: ignore[no-any-return]
        with _as_current(message):
            return store.get(key)  # type: ignore[no-any-return]

    def put(self, key: bytes, value: bytes, message: Any) -> None:
        store = self._store
        if hasattr(store, "_db_for_partition"):
            store._db_for_partition(message.partition).put(key, value)
            return
        with _as_current(message):
            store[key] = value

    def put_many(self, items: Iterable[tuple[bytes, bytes, Any]]) -> None:
        """Write (key, value, message) triples: with RocksDB one write batch per partition,
        which costs a third of a put per key."""
        store = self._store
        if not hasattr(store, "_db_for_partition"):
            for key, value, message in items:
                self.put(key, value, message)
            return
        batches: dict[int, Any] = {}
        for key, value, message in items:
            wb = batches.get(message.partition)
            if wb is None:
                wb = batches[message.partition] = rocksdict.WriteBatch(raw_mode=True)
            wb.put(key, value)
        for partition, wb in batches.items():
            store._db_for_partition(partition).write(wb)

    @property
    def _store(self) -> Any:
        return getattr(self._table, "data", self._table)  # a plain dict in unit tests
