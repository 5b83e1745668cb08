"""`eye topics`: create the input and dead-letter topics when missing."""

from __future__ import annotations

import argparse

from base.settings import Settings


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from kafka_edge.topics import ensure_topics

    created = ensure_topics(settings)
    print("topics created: " + (", ".join(created) if created else "none (all exist)"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("topics", help="create the Kafka topics").set_defaults(run=run)
