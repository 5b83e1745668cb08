"""`eye api`: serve GraphQL (and the other HTTP routes) with aiohttp."""

from __future__ import annotations

import argparse
import logging

from base.settings import Settings


def run(settings: Settings, _args: argparse.Namespace) -> int:
    import asyncio

    from eye.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(settings))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("api", help="serve the HTTP API").set_defaults(run=run)
