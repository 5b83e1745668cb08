"""`eye produce FILE.jsonl`: send each line of a file as one message, as it is."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import IO

from eye.settings import Settings


def lines(f: IO[bytes]) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per non-blank line; the key is the session id when the line has one."""
    from eye.kafka import session_key

    for raw in f:
        value = raw.rstrip(b"\r\n")
        if value.strip():
            yield session_key(value), value


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eye.commands.load import send_all

    options = dict(app_key=args.app_key, rate=args.rate, progress=not args.quiet,
                   delivery_timeout=args.timeout)
    if args.file == "-":
        return send_all(settings, lines(sys.stdin.buffer), total=None, **options)
    with open(args.file, "rb") as f:
        total = sum(1 for line in f if line.strip())
        f.seek(0)
        return send_all(settings, lines(f), total=total, **options)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from eye.commands.load import add_common

    p = sub.add_parser("produce", help="send the lines of a JSON Lines file as events")
    p.add_argument("file", help="one message value per line; - reads standard input")
    add_common(p)
    p.set_defaults(run=run)
