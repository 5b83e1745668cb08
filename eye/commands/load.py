"""`eye load`: send generated sessions at a chosen rate, for benchmarks and fault tests."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable

from eye.settings import Settings


def send_all(settings: Settings, messages: Iterable[tuple[bytes | None, bytes]], *, total: int | None,
             app_key: str | None, rate: float, progress: bool,
             delivery_timeout: float = 30.0) -> int:
    """Send (key, value) pairs through the SDK, paced and with a progress bar on stderr; print
    the summary line and return the command's exit status."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn,
                               TextColumn, TimeRemainingColumn)

    from eye.kafka import DeliveryFailed
    from eye.loadgen import Pacer
    from eye.sdk import EyeProducer

    if not app_key:
        print("eye: no --app-key: the worker will reject every event as unauthorized_app",
              file=sys.stderr)
    failed = 0

    def on_error(_reason: str) -> None:
        nonlocal failed
        failed += 1

    bar = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rate]:>8.0f} events/s"), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not progress)
    producer = EyeProducer(settings.kafka_bootstrap, app_key=app_key or "", topic=settings.topic,
                           delivery_timeout=delivery_timeout, on_error=on_error)
    pacer = Pacer(rate)
    sent = 0
    started = time.monotonic()
    with bar:
        task = bar.add_task("send", total=total, rate=0.0)
        for key, value in messages:
            pacer.wait()
            producer.send_raw(value, key=key)
            sent += 1
            if sent % 500 == 0:
                bar.update(task, completed=sent, rate=sent / (time.monotonic() - started))
        try:
            producer.flush()
        except DeliveryFailed:
            pass  # counted by on_error
        elapsed = time.monotonic() - started
        bar.update(task, completed=sent, rate=sent / elapsed if elapsed else 0.0)
    print(f"sent {sent - failed}, failed {failed}, {elapsed:.2f} seconds, "
          f"{(sent - failed) / elapsed if elapsed else 0.0:.0f} events/s")
    return 1 if failed else 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eye.loadgen import generate

    messages = generate(args.events, sessions=args.sessions, invalid_ratio=args.invalid_ratio,
                        seed=args.seed)
    return send_all(settings, ((m.key, m.value) for m in messages), total=args.events,
                    app_key=args.app_key, rate=args.rate, progress=not args.quiet,
                    delivery_timeout=args.timeout)


def _ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def add_common(p: argparse.ArgumentParser) -> None:
    """The options `eye load` and `eye produce` share."""
    p.add_argument("--rate", type=float, default=0.0, help="events per second; 0 = as fast as possible")
    p.add_argument("--app-key", default=None)
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds the broker may take to acknowledge an event before it counts "
                        "as failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("load", help="send generated events at a given rate")
    add_common(p)
    p.add_argument("--events", type=int, default=10_000, help="how many events to send")
    p.add_argument("--sessions", type=int, default=100, help="how many sessions they spread over")
    p.add_argument("--invalid-ratio", type=_ratio, default=0.0,
                   help="share of deliberately broken messages (malformed JSON, missing field, "
                        "bad timestamp)")
    p.add_argument("--seed", type=int, default=1, help="same seed, same events")
    p.set_defaults(run=run)
