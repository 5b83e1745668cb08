"""Registered applications: their names and key hashes. A key itself is never stored; what
keys share with API tokens is in store/credentials.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, Connection

from base.errors import EyeError
from store import credentials, secrets


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


KIND = credentials.Kind("applications", "key_hash", secrets.APP_KEY_PREFIX, 24,
                        "id, name, created_at, revoked_at")


def key_hash(key: str | bytes) -> bytes:
    return secrets.digest(key)


def add(conn: Connection, name: str) -> str:
    """Register `name`; return its new key, which exists nowhere else after this call."""
    return credentials.issue(conn, KIND, name, ApplicationExists)


def list_all(conn: Connection) -> list[Application]:
    return [Application(*r) for r in credentials.every(conn, KIND)]


def revoke(conn: Connection, name: str) -> None:
    if not credentials.revoke(conn, KIND, name):
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
    row = await credentials.active(conn, KIND, key, "id")
    return None if row is None else int(row[0])
