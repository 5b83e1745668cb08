"""The `eye` subcommands, one module each; every module has `register(subparsers)`."""

from __future__ import annotations

import argparse
from importlib import import_module

# Each entry is a module of this package; adding a command is one module and one line here.
MODULES = ("migrate", "topics", "worker", "api", "apps", "tokens", "demo", "load", "produce",
           "partitions", "replay", "schemas", "lag", "set_aside", "errors")


def register_all(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name in MODULES:
        import_module(f"eye.commands.{name}").register(sub)
