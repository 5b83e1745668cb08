"""The `eye` command: one entry point for the worker, the API and the chores around them.

A mistake ends in one line on stderr and a non-zero exit, never a traceback: 2 for a bad
argument, 1 for anything that went wrong while running (`--traceback` shows where).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from base.errors import EyeError
from base.settings import Settings
from eye.commands import register_all


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line that names the command and its --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="eye", description="The Eye: analytics events from Kafka to PostgreSQL "
               "and GraphQL.")
    p.add_argument("--traceback", action="store_true",
                   help="on an unexpected failure, print the whole traceback")
    register_all(p.add_subparsers(dest="command", required=True))
    return p


def explain(exc: BaseException) -> str:
    """One line for a failure the commands did not raise on purpose."""
    from pydantic import ValidationError

    from store.errors import DatabaseError, DatabaseUnreachable, NoSuchTable

    if isinstance(exc, DatabaseUnreachable):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot reach PostgreSQL (EYE_DATABASE_URL): {first}"
    if isinstance(exc, NoSuchTable):
        return "the database has no tables of The Eye (or older ones): run `eye migrate` first"
    if isinstance(exc, DatabaseError):
        return f"PostgreSQL refused: {str(exc).strip().splitlines()[0]}"
    if type(exc).__name__ == "KafkaException" and exc.args:
        err = exc.args[0]
        text = err.str() if hasattr(err, "str") else str(err)
        return f"Kafka (EYE_KAFKA_BOOTSTRAP): {text}"
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"EYE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                             for e in exc.errors())
        return f"bad setting: {problems}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"unexpected {type(exc).__name__}{': ' + text if text else ''} (run `eye --traceback " \
           "...` to see where)"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    run: Callable[[Settings, argparse.Namespace], int] = args.run
    try:
        return run(Settings(), args)
    except KeyboardInterrupt:
        return 130
    except EyeError as exc:
        print(f"eye: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place a failure becomes a line
        if args.traceback:
            raise
        print(f"eye: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
