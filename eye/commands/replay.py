"""`eye replay --reason R [--since T]`: move stored rejections that now pass into `events`."""

from __future__ import annotations

import argparse

from base.settings import Settings
from eye.commands import args as types


def run(settings: Settings, args: argparse.Namespace) -> int:
    from kafka_edge.control import rebuild_sessions
    from store.db import connect
    from store.partitions import Window
    from base.policy import policy_from
    from streams.replay import replay

    with connect(settings.dsn) as conn:
        out = replay(conn, reason=args.reason, since=args.since, policy=policy_from(settings),
                     window=Window(settings.max_event_age, settings.partitions_ahead))
    if out.sessions:
        rebuild_sessions(settings, sorted(out.sessions))
    print(f"checked {out.checked} rejections ({args.reason}); moved {out.moved} into events; "
          f"{len(out.sessions)} sessions to rebuild")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="re-check stored rejections and move those that now pass")
    p.add_argument("--reason", required=True, type=types.reason,
                   help="the rejection reason to re-check")
    p.add_argument("--since", type=types.since,
                   help="only rejections received since: an ISO time or a duration back (2h, 1d)")
    p.set_defaults(run=run)
