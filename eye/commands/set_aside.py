"""`eye set-aside`: the way past a partition that stands still on a batch the worker cannot read."""

from __future__ import annotations

import argparse

from base.settings import Settings
from eye.commands import args as types


def run(settings: Settings, args: argparse.Namespace) -> int:
    from kafka_edge.control import set_aside

    set_aside(settings, args.partition)
    print(f"asked the worker holding {settings.topic}[{args.partition}] to set its unreadable "
          "batch aside; its records become unreadable_batch errors, then the partition reads "
          "on (the worker's /healthz shows when)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("set-aside", help="keep a batch the worker cannot read as error rows "
                       "and read on after it (see docs/operations.md)")
    p.add_argument("--partition", type=types.partition, required=True,
                   help="the partition /healthz names under 'stalled'")
    p.set_defaults(run=run)
