"""Secrets handed out by name and checked by hash, whatever they open: application keys
(store/applications.py) and API tokens (store/tokens.py) are two kinds of one thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, Connection, errors

from store import secrets


@dataclass(frozen=True, slots=True)
class Kind:
    table: str  # one row per name: the hash, created_at, revoked_at and the kind's own columns
    hash_column: str
    prefix: str  # what a reader (or a secret scanner) knows the secret by
    nbytes: int
    columns: str  # the columns a record of this kind is made of, in its order


def issue(conn: Connection, kind: Kind, name: str, exists: Callable[[str], Exception],
          **extra: Any) -> str:
    """Store a new secret's hash under `name` (with the kind's `extra` columns); return the
    secret, which exists nowhere else after this call."""
    secret = secrets.new(kind.prefix, kind.nbytes)
    names = ", ".join(["name", kind.hash_column, *extra])
    holes = ", ".join(["%s"] * (2 + len(extra)))
    try:
        conn.execute(f"INSERT INTO {kind.table} ({names}) VALUES ({holes})",  # type: ignore[arg-type]
                     (name, secrets.digest(secret), *extra.values()))
    except errors.UniqueViolation:
        raise exists(name) from None
    return secret


def every(conn: Connection, kind: Kind) -> list[tuple[Any, ...]]:
    return list(conn.execute(f"SELECT {kind.columns} FROM {kind.table} ORDER BY id"))  # type: ignore[arg-type]


def revoke(conn: Connection, kind: Kind, name: str) -> bool:
    """Whether an unrevoked secret named `name` was there to revoke."""
    cur = conn.execute(f"UPDATE {kind.table} SET revoked_at = now() "  # type: ignore[arg-type]
                       "WHERE name = %s AND revoked_at IS NULL", (name,))
    return cur.rowcount != 0


# The API's connections carry the data team's statement timeout, which may be a few
# milliseconds; a secret's check is not one of their queries and has its own bound.
CHECK_TIMEOUT_MS = 5000


async def active(conn: AsyncConnection, kind: Kind, secret: str | bytes, columns: str
                 ) -> tuple[Any, ...] | None:
    """`columns` of the unrevoked record holding `secret`, or None; one round trip."""
    async with conn.pipeline(), conn.transaction():
        await conn.execute(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT_MS}")
        cur = await conn.execute(f"SELECT {columns} FROM {kind.table} "  # type: ignore[arg-type]
                                 f"WHERE {kind.hash_column} = %s AND revoked_at IS NULL",
                                 (secrets.digest(secret),))
    return await cur.fetchone()
