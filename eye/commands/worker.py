"""`eye worker`: run the Faust stream worker."""

from __future__ import annotations

import argparse

from base import memory
from base.settings import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    from faust import Worker

    from streams.worker import create_app

    settings.state_dir.mkdir(parents=True, exist_ok=True)  # RocksDB makes only the last level
    app = create_app(settings)
    memory.settle()
    Worker(app, loglevel=args.loglevel).execute_from_commandline()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run the stream worker")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(run=run)
