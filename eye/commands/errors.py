"""`eye errors`: the latest rejected messages, why each was rejected and what it held."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from base.settings import Settings
from eye.commands import args as types

EXCERPT = 160  # characters of payload shown per message


def application_id(dsn: str, name: str) -> int:
    """The id of the application called `name`, revoked or not."""
    from store.applications import NoSuchApplication
    from store.db import connect

    with connect(dsn) as conn:
        row = conn.execute("SELECT id FROM applications WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise NoSuchApplication(name, revoked_too=True)
    return int(row[0])


def excerpt(payload: bytes | None, width: int = EXCERPT) -> str:
    if payload is None:
        return "(no payload)"
    text = bytes(payload).decode("utf-8", errors="replace")
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= width else f"{text[:width]}… ({len(payload)} bytes)"


def render(row: dict[str, Any], apps: dict[int, str]) -> str:
    app = row["application_id"]
    who = "no known app" if app is None else f"app {apps.get(app, app)}"
    return (f"{row['received_at']:%Y-%m-%d %H:%M:%S} UTC  {row['reason']}  {who}  "
            f"{row['topic']}[{row['partition']}]@{row['offset']}\n"
            f"    {row['detail']}\n"
            f"    {excerpt(row['payload'])}")


async def _latest(dsn: str, args: argparse.Namespace, app_id: int | None
                  ) -> list[dict[str, Any]]:
    from store import queries
    from store.db import open_pool

    pool = await open_pool(dsn, max_size=1)
    try:
        return await queries.errors(pool, reason=args.reason, start=args.since,
                                    application_id=app_id, session_id=args.session, after=None,
                                    limit=args.limit + 1, newest_first=True)
    finally:
        await pool.close()


def run(settings: Settings, args: argparse.Namespace) -> int:
    from store import applications
    from store.db import connect

    app_id = application_id(settings.dsn, args.app) if args.app else None
    with connect(settings.dsn) as conn:
        apps = {a.id: a.name for a in applications.list_all(conn)}
    rows = asyncio.run(_latest(settings.dsn, args, app_id))
    more, rows = len(rows) > args.limit, rows[:args.limit]
    if not rows:
        print("no rejected messages match")
        return 0
    for row in reversed(rows):  # newest last, next to the prompt
        print(render(row, apps))
    print(f"{len(rows)} rejected message(s), newest last"
          + (f"; older ones match too (--limit {args.limit * 2} shows more)" if more else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("errors", help="the latest rejected messages with their reasons",
                       description="The latest rejected messages, newest last: when, why (the "
                       "reason and its detail), from which application, and the start of the "
                       "payload.")
    p.add_argument("--app", help="only those sent with this application's key (its name)")
    p.add_argument("--session", help="only those whose payload holds this session id")
    p.add_argument("--reason", type=types.reason, help="only this rejection reason")
    p.add_argument("--since", type=types.since,
                   help="only those received since: an ISO time or a duration back (2h, 1d)")
    p.add_argument("--limit", type=types.positive_int, default=20,
                   help="how many to show (default 20)")
    p.set_defaults(run=run)
