"""`eye worker`: run the Faust stream worker."""

from __future__ import annotations

import argparse

from base.settings import Settings


def run(settings: Settings, args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(settings, loglevel=args.loglevel)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run the stream worker")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(run=run)
