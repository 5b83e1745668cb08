"""The worker's pieces, made once by streams/worker.py and handed to the agents, timers and
pages that use them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import faust

from base.settings import Settings
from streams.ingest import Ingest
from streams.sequence import Sequencer
from streams.sink import BatchSink


@dataclass(frozen=True, slots=True)
class Parts:
    app: faust.App
    settings: Settings
    ingest: Ingest
    sink: BatchSink
    in_order: Sequencer
    # Held while one message is handled, so a session rebuilt from the database is not
    # overwritten halfway by the ingest loop.
    handling: asyncio.Lock
