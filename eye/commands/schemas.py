"""`eye schemas`: print every registered event type's JSON Schema, as GET /schemas serves it."""

from __future__ import annotations

import argparse

from base.settings import Settings


def run(_settings: Settings, _args: argparse.Namespace) -> int:
    import orjson

    from validators import registry

    print(orjson.dumps({"event_types": registry.schemas()}, option=orjson.OPT_INDENT_2).decode())
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("schemas", help="print the event types' JSON Schemas").set_defaults(run=run)
