"""`eye apps add|list|revoke`: the applications allowed to send events."""

from __future__ import annotations

import argparse

from eye.settings import Settings


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
            print(f"application {args.name!r} revoked")
        else:
            for app in applications.list_all(conn):
                state = f"revoked {app.revoked_at:%Y-%m-%d %H:%M}" if app.revoked_at else "active"
                print(f"{app.id:>4}  {app.name:<24} created {app.created_at:%Y-%m-%d %H:%M}  {state}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("apps", help="register, list and revoke sending applications")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("add", help="register an application; prints its key").add_argument("name")
    actions.add_parser("revoke", help="revoke an application's key").add_argument("name")
    actions.add_parser("list", help="list applications")
    p.set_defaults(run=run)
