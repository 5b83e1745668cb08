"""`eye produce FILE.jsonl [--wait]`: send each line of a file as one message, as it is; with
--wait, stay until each has its row and say how many were stored and why others were not."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import IO

from base.errors import EyeError
from base.settings import Settings
from eye.commands import args as types
from eye.commands.load import Sent

# How far the worker's clock may lag ours and still have its rows found.
CLOCK_MARGIN = timedelta(minutes=5)


class NotYetStored(EyeError):
    pass


class Rejected(EyeError):
    pass


def lines(f: IO[bytes]) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per non-blank line; the key is the session id when the line has one."""
    from eye.sending import session_key

    for raw in f:
        value = raw.rstrip(b"\r\n")
        if value.strip():
            yield session_key(value), value


def wait_for_rows(settings: Settings, sent: Sent, timeout: float, poll: float = 0.5) -> None:
    """Wait until every delivered message has its row; print stored and rejected counts with
    each reason's detail. Raises when some were rejected or did not arrive in time."""
    from store import outcomes
    from store.db import connect

    expected = len(sent.positions)
    deadline = time.monotonic() + timeout
    with connect(settings.dsn) as conn:
        while True:
            found = outcomes.find(conn, settings.topic, sent.positions, sorted(sent.session_ids),
                                  sent.started_at - CLOCK_MARGIN)
            if found.done >= expected or time.monotonic() >= deadline:
                break
            time.sleep(poll)
    rejected = sum(found.rejected.values())
    print(f"stored {found.stored}, rejected {rejected}")
    for reason, count in found.rejected.most_common():
        print(f"  {reason} {count}: {found.examples[reason]}")
    if found.done < expected:
        raise NotYetStored(f"{expected - found.done} of {expected} events have no row after "
                           f"{timeout:g} s: is the worker running and keeping up? (`eye lag` "
                           "shows it)")
    if rejected:
        raise Rejected(f"{rejected} of {expected} events were rejected; `eye errors --since "
                       f"{sent.started_at:%Y-%m-%dT%H:%M:%S}Z` shows them with their payloads")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eye.commands.load import send_all

    options = dict(app_key=args.app_key, rate=args.rate, progress=not args.quiet,
                   delivery_timeout=args.timeout)
    if args.file == "-":
        sent = send_all(settings, lines(sys.stdin.buffer), total=None, **options)
    else:
        try:
            f = open(args.file, "rb")  # noqa: SIM115 - closed below, after the count
        except OSError as exc:
            raise EyeError(f"cannot read {args.file}: {exc.strerror}") from None
        with f:
            total = sum(1 for line in f if line.strip())
            f.seek(0)
            sent = send_all(settings, lines(f), total=total, **options)
    if args.wait is not None and sent.positions:
        wait_for_rows(settings, sent, args.wait)
    return sent.status


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from eye.commands.load import add_common

    p = sub.add_parser("produce", help="send the lines of a JSON Lines file as events")
    p.add_argument("file", help="one message value per line; - reads standard input")
    add_common(p)
    p.add_argument("--wait", type=types.seconds, nargs="?", const=60.0, default=None, metavar="SECONDS",
                   help="wait (60 s unless told) until the worker has stored or rejected each "
                        "event; print the counts and each reason; exit 1 if any was rejected")
    p.set_defaults(run=run)
