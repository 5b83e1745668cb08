"""The `eye` command: one entry point for the worker, the API and the chores around them."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from eye.errors import EyeError
from eye.settings import Settings


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from store.db import connect
    from store.migrate import migrate

    with connect(settings.dsn) as conn:
        applied = migrate(conn)
    print("migrated: " + (", ".join(applied) if applied else "nothing to do"))
    return 0


def _topics(settings: Settings, _args: argparse.Namespace) -> int:
    from eye.kafka import ensure_topics

    created = ensure_topics(settings)
    print("topics created: " + (", ".join(created) if created else "none (all exist)"))
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from faust import Worker

    from streams.app import create_app

    app = create_app(settings)
    Worker(app, loglevel=args.loglevel).execute_from_commandline()
    return 0


def _api(settings: Settings, _args: argparse.Namespace) -> int:
    from aiohttp import web

    from graphql_api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_app(settings), host=settings.api_host, port=settings.api_port,
                print=None, access_log=None)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from eye.demo import demo_events
    from eye.kafka import produce

    events = demo_events(args.sessions)
    n = produce(settings, events, app_key=args.app_key)
    print(f"sent {n} demo events over {args.sessions} sessions to {settings.topic}")
    print(f"example session: {events[0]['session_id']}")
    return 0


def _apps(settings: Settings, args: argparse.Namespace) -> int:
    from store import applications
    from store.db import connect

    with connect(settings.dsn) as conn:
        if args.action == "add":
            key = applications.add(conn, args.name)
            print(f"application {args.name!r} registered; its key (shown once):")
            print(key)
        elif args.action == "revoke":
            applications.revoke(conn, args.name)
            print(f"application {args.name!r} revoked")
        else:
            for app in applications.list_all(conn):
                state = f"revoked {app.revoked_at:%Y-%m-%d %H:%M}" if app.revoked_at else "active"
                print(f"{app.id:>4}  {app.name:<24} created {app.created_at:%Y-%m-%d %H:%M}  {state}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eye", description="The Eye: analytics events from Kafka "
                                "to PostgreSQL and GraphQL.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the database schema").set_defaults(run=_migrate)
    sub.add_parser("topics", help="create the Kafka topics").set_defaults(run=_topics)
    w = sub.add_parser("worker", help="run the stream worker")
    w.add_argument("--loglevel", default="info")
    w.set_defaults(run=_worker)
    sub.add_parser("api", help="serve GraphQL over HTTP").set_defaults(run=_api)
    apps = sub.add_parser("apps", help="register, list and revoke sending applications")
    apps_sub = apps.add_subparsers(dest="action", required=True)
    apps_sub.add_parser("add", help="register an application; prints its key").add_argument("name")
    apps_sub.add_parser("revoke", help="revoke an application's key").add_argument("name")
    apps_sub.add_parser("list", help="list applications")
    apps.set_defaults(run=_apps)
    d = sub.add_parser("demo", help="send demo events")
    d.add_argument("--sessions", type=int, default=4)
    d.add_argument("--app-key", default=None)
    d.set_defaults(run=_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[Settings, argparse.Namespace], int] = args.run
    try:
        return run(Settings(), args)
    except EyeError as exc:
        print(f"eye: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
