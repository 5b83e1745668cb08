"""`eye worker`: run the Faust stream worker."""

from __future__ import annotations

import argparse
import gc

from eye.settings import Settings

GC_YOUNG_THRESHOLD = 10_000


def run(settings: Settings, args: argparse.Namespace) -> int:
    from faust import Worker

    from streams.app import create_app

    settings.state_dir.mkdir(parents=True, exist_ok=True)  # RocksDB makes only the last level
    app = create_app(settings)
    # A batch's thousand messages and their rows live for a few milliseconds: long enough for
    # Python's default young-generation threshold (700 allocations) to scan them several times.
    # That was a third of the CPU of the worker's own code; at 10,000 it is a tenth as often.
    # What start-up made lives as long as the process, and is never scanned again.
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    gc.freeze()
    Worker(app, loglevel=args.loglevel).execute_from_commandline()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run the stream worker")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(run=run)
