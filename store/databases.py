"""Throwaway databases on one server, for tests and benchmarks: made migrated, dropped whole."""

from __future__ import annotations

import uuid

import psycopg

from store.migrate import migrate


def create(admin_dsn: str, prefix: str) -> str:
    """A new database with The Eye's schema, next to the one `admin_dsn` names; its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
    return dsn


def drop(admin_dsn: str, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
