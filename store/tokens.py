"""API tokens: names, admin flags and token hashes. A token itself is never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, Connection, errors

from base.errors import EyeError
from store import db, secrets

PREFIX = secrets.API_TOKEN_PREFIX


class TokenExists(EyeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a token named {name!r} exists already (names stay taken after revoking)")
        self.name = name


class NoSuchToken(EyeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no active token named {name!r}")
        self.name = name


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    name: str
    admin: bool
    created_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> bytes:
    return secrets.digest(token)


def add(conn: Connection, name: str, *, admin: bool = False) -> str:
    """Create a token named `name`; return it, for the only time."""
    token = secrets.new(PREFIX, 32)
    try:
        conn.execute("INSERT INTO api_tokens (name, token_hash, admin) VALUES (%s, %s, %s)",
                     (name, token_hash(token), admin))
    except errors.UniqueViolation:
        raise TokenExists(name) from None
    return token


def list_all(conn: Connection) -> list[Token]:
    rows = conn.execute("SELECT id, name, admin, created_at, revoked_at FROM api_tokens ORDER BY id")
    return [Token(*r) for r in rows]


def revoke(conn: Connection, name: str) -> None:
    cur = conn.execute("UPDATE api_tokens SET revoked_at = now() "
                       "WHERE name = %s AND revoked_at IS NULL", (name,))
    if cur.rowcount == 0:
        raise NoSuchToken(name)


async def active(conn: AsyncConnection, token: str) -> Token | None:
    """The unrevoked token `token`, or None."""
    row = await db.lookup(conn, "SELECT id, name, admin, created_at, revoked_at FROM api_tokens "
                          "WHERE token_hash = %s AND revoked_at IS NULL", (token_hash(token),))
    return None if row is None else Token(*row)
