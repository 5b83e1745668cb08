"""`eye migrate`: apply the numbered SQL files of store/migrations that are missing."""

from __future__ import annotations

import argparse

from base.settings import Settings


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from store.db import connect
    from store.migrate import migrate

    with connect(settings.dsn) as conn:
        applied = migrate(conn)
    print("migrated: " + (", ".join(applied) if applied else "nothing to do"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("migrate", help="apply the database schema").set_defaults(run=run)
