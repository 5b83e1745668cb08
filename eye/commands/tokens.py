"""`eye tokens add|list|revoke`: the bearer tokens that may query the GraphQL API."""

from __future__ import annotations

import argparse

from base.settings import Settings
from eye.commands import args as types
from eye.commands import listing


def run(settings: Settings, args: argparse.Namespace) -> int:
    from store import tokens
    from store.db import connect

    with connect(settings.dsn) as conn:
        if args.action == "add":
            token = tokens.add(conn, args.name, admin=args.admin)
            kind = "admin token" if args.admin else "token"
            print(f"{kind} {args.name!r} created; send it as 'Authorization: Bearer …' "
                  "(shown once):")
            print(token)
        elif args.action == "revoke":
            tokens.revoke(conn, args.name)
            # The API trusts a token's last check for a few seconds (EYE_API_TOKEN_CACHE_SECONDS).
            print(f"token {args.name!r} revoked; the API refuses it within "
                  f"{settings.api_token_cache_seconds:g} s")
        else:
            for t in tokens.list_all(conn):
                print(listing.line(t, f"{'admin' if t.admin else 'read':<5}  "))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tokens", help="create, list and revoke GraphQL API tokens")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create a token; prints it once, on the last line")
    add.add_argument("name", type=types.name)
    add.add_argument("--admin", action="store_true",
                     help="may also run mutations such as deleteSession")
    actions.add_parser("revoke", help="revoke a token").add_argument("name", type=types.name)
    actions.add_parser("list", help="list tokens")
    p.set_defaults(run=run)
