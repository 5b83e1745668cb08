"""`eye api`: serve GraphQL (and the other HTTP routes) with aiohttp."""

from __future__ import annotations

import argparse
import logging

from eye.settings import Settings


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from aiohttp import web

    from eye.server import create_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_server(settings), host=settings.api_host, port=settings.api_port,
                print=None, access_log=None)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("api", help="serve the HTTP API").set_defaults(run=run)
