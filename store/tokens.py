"""API tokens: names, admin flags and token hashes. A token itself is never stored; what tokens
share with application keys is in store/credentials.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection, Connection

from base.errors import EyeError
from store import credentials, secrets

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


KIND = credentials.Kind("api_tokens", "token_hash", PREFIX, 32,
                        "id, name, admin, created_at, revoked_at")


def token_hash(token: str) -> bytes:
    return secrets.digest(token)


def add(conn: Connection, name: str, *, admin: bool = False) -> str:
    """Create a token named `name`; return it, for the only time."""
    return credentials.issue(conn, KIND, name, TokenExists, admin=admin)


def list_all(conn: Connection) -> list[Token]:
    return [Token(*r) for r in credentials.every(conn, KIND)]


def revoke(conn: Connection, name: str) -> None:
    if not credentials.revoke(conn, KIND, name):
        raise NoSuchToken(name)


async def active(conn: AsyncConnection, token: str) -> Token | None:
    """The unrevoked token `token`, or None."""
    row = await credentials.active(conn, KIND, token, KIND.columns)
    return None if row is None else Token(*row)
