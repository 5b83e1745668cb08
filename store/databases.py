"""Throwaway databases on one server, for tests and benchmarks: made migrated, dropped whole."""

from __future__ import annotations

import time
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


def drop(admin_dsn: str, dsn: str, attempts: int = 20) -> None:
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        for attempt in range(attempts):
            try:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.InsufficientPrivilege:
                # An autovacuum worker (a superuser's backend) is in the database, and only a
                # superuser may end it: it finishes soon on a database this small.
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
