"""`eye apps add|list|revoke|restore`: the applications allowed to send events."""

from __future__ import annotations

import argparse

from base.settings import Settings
from eye.commands import args as types
from eye.commands import listing


def run(settings: Settings, args: argparse.Namespace) -> int:
    from store import applications
    from store.db import connect

    with connect(settings.dsn) as conn:
        if args.action == "add":
            key = applications.add(conn, args.name)
            print(f"application {args.name!r} registered; its key (shown once):")
            print(key)
        elif args.action == "revoke":
            applications.revoke(conn, args.name)
            print(f"application {args.name!r} revoked; `eye apps restore {args.name}` lets its "
                  "key in again")
        elif args.action == "restore":
            applications.restore(conn, args.name)
            print(f"application {args.name!r} restored: its key is accepted again (within "
                  "EYE_APP_CACHE_SECONDS); `eye replay --reason unauthorized_app` stores what "
                  "was rejected meanwhile")
        else:
            for app in applications.list_all(conn):
                print(listing.line(app))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("apps", help="register, list, revoke and restore sending applications")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("add", help="register an application; prints its key").add_argument(
        "name", type=types.name)
    actions.add_parser("revoke", help="revoke an application's key").add_argument(
        "name", type=types.name)
    actions.add_parser("restore", help="accept a revoked application's key again").add_argument(
        "name", type=types.name)
    actions.add_parser("list", help="list applications")
    p.set_defaults(run=run)
