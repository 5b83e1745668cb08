"""`eye load`: send generated sessions at a chosen rate, for benchmarks and fault tests."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from base.errors import EyeError
from base.settings import Settings
from eye.commands import args as types


@dataclass
class Sent:
    """What `send_all` delivered, and where the broker wrote it."""

    sent: int = 0
    failed: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    positions: list[tuple[int, int]] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)

    @property
    def status(self) -> int:
        return 1 if self.failed else 0


class WrongKindOfKey(EyeError):
    pass


def check_app_key(app_key: str | None) -> None:
    """Refuse an API token given as app key before sending anything: the worker would reject
    every event, and the reason would only show in `errors`."""
    from store.secrets import wrong_kind

    hint = wrong_kind(app_key, "app key") if app_key else None
    if hint:
        raise WrongKindOfKey(f"--app-key: {hint}")
    if not app_key:
        print("eye: no --app-key: the worker will reject every event as unauthorized_app",
              file=sys.stderr)


def send_all(settings: Settings, messages: Iterable[tuple[bytes | None, bytes]], *, total: int | None,
             app_key: str | None, rate: float, progress: bool,
             delivery_timeout: float = 30.0) -> Sent:
    """Send (key, value) pairs through the SDK, paced and with a progress bar on stderr; print
    the summary line and return what was sent."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn,
                               TextColumn, TimeRemainingColumn)

    from kafka_edge.clients import DeliveryFailed
    from eye.loadgen import Pacer
    from eye.sdk import EyeProducer

    check_app_key(app_key)
    out = Sent()

    def on_error(_reason: str) -> None:
        out.failed += 1

    def on_delivered(partition: int, offset: int) -> None:
        out.positions.append((partition, offset))

    bar = Progress(TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rate]:>8.0f} events/s"), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not progress)
    producer = EyeProducer(settings.kafka_bootstrap, app_key=app_key or "", topic=settings.topic,
                           delivery_timeout=delivery_timeout, on_error=on_error,
                           on_delivered=on_delivered)
    pacer = Pacer(rate)
    started = time.monotonic()
    with bar:
        task = bar.add_task("send", total=total, rate=0.0)
        for key, value in messages:
            pacer.wait()
            producer.send_raw(value, key=key)
            if key is not None:
                out.session_ids.add(key.decode("utf-8", "replace"))
            out.sent += 1
            if out.sent % 500 == 0:
                bar.update(task, completed=out.sent, rate=out.sent / (time.monotonic() - started))
        try:
            producer.flush()
        except DeliveryFailed:
            pass  # counted by on_error
        elapsed = time.monotonic() - started
        bar.update(task, completed=out.sent, rate=out.sent / elapsed if elapsed else 0.0)
    ok = out.sent - out.failed
    print(f"sent {ok}, failed {out.failed}, {elapsed:.2f} seconds, "
          f"{ok / elapsed if elapsed else 0.0:.0f} events/s")
    return out


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eye.loadgen import generate

    # A new seed each run, unless told: the same seed sends the same session and event ids,
    # which the worker would reject as duplicate_event.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed} (--seed {seed} sends these events again)", file=sys.stderr)
    messages = generate(args.events, sessions=args.sessions, invalid_ratio=args.invalid_ratio,
                        seed=seed)
    return send_all(settings, ((m.key, m.value) for m in messages), total=args.events,
                    app_key=args.app_key, rate=args.rate, progress=not args.quiet,
                    delivery_timeout=args.timeout).status


def add_common(p: argparse.ArgumentParser) -> None:
    """The options `eye load` and `eye produce` share."""
    p.add_argument("--rate", type=types.rate, default=0.0,
                   help="events per second; 0 = as fast as possible")
    p.add_argument("--app-key", default=None)
    p.add_argument("--timeout", type=types.seconds, default=30.0,
                   help="seconds the broker may take to acknowledge an event before it counts "
                        "as failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("load", help="send generated events at a given rate")
    add_common(p)
    p.add_argument("--events", type=types.positive_int, default=10_000,
                   help="how many events to send")
    p.add_argument("--sessions", type=types.positive_int, default=100,
                   help="how many sessions they spread over")
    p.add_argument("--invalid-ratio", type=types.ratio, default=0.0,
                   help="share of deliberately broken messages (malformed JSON, missing field, "
                        "bad timestamp)")
    p.add_argument("--seed", type=int, default=None,
                   help="same seed, same sessions and event ids (a second run's events are then "
                        "duplicate_event); without it every run makes new ones")
    p.set_defaults(run=run)
