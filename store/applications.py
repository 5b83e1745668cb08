"""Registered applications: their names and key hashes. A key itself is never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, Connection, errors

from base.errors import EyeError
from store import db, secrets


class ApplicationExists(EyeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"an application named {name!r} exists already")
        self.name = name


class NoSuchApplication(EyeError):
    def __init__(self, name: str, *, revoked_too: bool = False) -> None:
        super().__init__(f"no {'' if revoked_too else 'active '}application named {name!r} "
                         "(see `eye apps list`)")
        self.name = name


class NotRevoked(EyeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"application {name!r} is not revoked: nothing to restore")
        self.name = name


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


def key_hash(key: str | bytes) -> bytes:
    return secrets.digest(key)


def add(conn: Connection, name: str) -> str:
    """Register `name`; return its new key, which exists nowhere else after this call."""
    key = secrets.new(secrets.APP_KEY_PREFIX, 24)
    try:
        conn.execute("INSERT INTO applications (name, key_hash) VALUES (%s, %s)",
                     (name, key_hash(key)))
    except errors.UniqueViolation:
        raise ApplicationExists(name) from None
    return key


def list_all(conn: Connection) -> list[Application]:
    rows = conn.execute("SELECT id, name, created_at, revoked_at FROM applications ORDER BY id")
    return [Application(*r) for r in rows]


def revoke(conn: Connection, name: str) -> None:
    cur = conn.execute("UPDATE applications SET revoked_at = now() "
                       "WHERE name = %s AND revoked_at IS NULL", (name,))
    if cur.rowcount == 0:
        raise NoSuchApplication(name)


def restore(conn: Connection, name: str) -> None:
    """Let a revoked application's key in again: the same key, since its hash was kept."""
    cur = conn.execute("UPDATE applications SET revoked_at = NULL "
                       "WHERE name = %s AND revoked_at IS NOT NULL", (name,))
    if cur.rowcount == 0:
        active = conn.execute("SELECT 1 FROM applications WHERE name = %s", (name,)).fetchone()
        raise NotRevoked(name) if active else NoSuchApplication(name, revoked_too=True)


async def active_id(conn: AsyncConnection, key: bytes) -> int | None:
    """The id of the unrevoked application holding `key`, or None."""
    row = await db.lookup(conn, "SELECT id FROM applications WHERE key_hash = %s "
                          "AND revoked_at IS NULL", (key_hash(key),))
    return None if row is None else int(row[0])
