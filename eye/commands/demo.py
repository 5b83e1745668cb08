"""`eye demo`: send a few sessions of demo events, as a client application would."""

from __future__ import annotations

import argparse

from base.settings import Settings
from eye.commands import args as types


def run(settings: Settings, args: argparse.Namespace) -> int:
    from eye.commands.load import check_app_key
    from eye.demo import demo_events
    from eye.sending import produce

    check_app_key(args.app_key)
    events = demo_events(args.sessions)
    n = produce(settings, events, app_key=args.app_key)
    print(f"sent {n} demo events over {args.sessions} sessions to {settings.topic}")
    example = events[0]["session_id"]
    print(f"example session: {example}")
    print(f"example session events: {sum(e['session_id'] == example for e in events)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="send demo events")
    p.add_argument("--sessions", type=types.positive_int, default=4)
    p.add_argument("--app-key", required=True, help="a key from `eye apps add`")
    p.set_defaults(run=run)
