"""`eye lag`: how far the worker's consumer group is behind, per partition, from the broker."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from base.settings import Settings
from eye.commands import args as types

if TYPE_CHECKING:
    from kafka_edge.lag import Lag


def table(lag: Lag) -> str:
    now = lag.measured_at
    lines = [f"group {lag.group} on {lag.topic}, "
             f"{datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M:%S} UTC",
             f"{'partition':>9}  {'committed':>12}  {'end':>12}  {'lag':>10}  {'lag seconds':>11}"]
    for p in lag.partitions:
        committed = "-" if p.committed is None else str(p.committed)
        lines.append(f"{p.partition:>9}  {committed:>12}  {p.high:>12}  {p.lag:>10}  "
                     f"{p.lag_seconds(now):>11.1f}")
    lines.append(f"{'total':>9}  {'':>12}  {'':>12}  {lag.total:>10}  {lag.max_seconds:>11.1f}")
    return "\n".join(lines)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from kafka_edge.clients import admin
    from kafka_edge.lag import measure

    client = admin(settings.kafka_bootstrap)

    def once() -> str:
        return table(measure(settings.kafka_bootstrap, settings.consumer_group, settings.topic,
                             timeout=args.timeout, client=client))

    if not args.watch:
        print(once())
        return 0
    try:
        while True:
            started = time.monotonic()
            text = once()
            # Home and clear only on a terminal; piped output stays plain, one table a second.
            print(("\x1b[H\x1b[2J" if sys.stdout.isatty() else "") + text, flush=True)
            time.sleep(max(args.interval - (time.monotonic() - started), 0))
    except KeyboardInterrupt:
        return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("lag", help="consumer lag of the worker per partition, from the broker")
    p.add_argument("--watch", action="store_true", help="refresh every --interval until Ctrl-C")
    p.add_argument("--interval", type=types.seconds, default=1.0, help="seconds between refreshes")
    p.add_argument("--timeout", type=types.seconds, default=5.0,
                   help="seconds to wait for the broker")
    p.set_defaults(run=run)
