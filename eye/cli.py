"""The `eye` command: one entry point for the worker, the API and the chores around them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from eye.commands import register_all
from eye.errors import EyeError
from eye.settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eye", description="The Eye: analytics events from Kafka "
                                "to PostgreSQL and GraphQL.")
    register_all(p.add_subparsers(dest="command", required=True))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    run: Callable[[Settings, argparse.Namespace], int] = args.run
    try:
        return run(Settings(), args)
    except EyeError as exc:
        print(f"eye: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
