"""One line per application key or API token in `eye apps list` and `eye tokens list`: both
are credentials with an id, a name, a creation time and maybe a revocation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Credential(Protocol):
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


def line(c: Credential, kind: str = "") -> str:
    """`kind`, when given, stands between the name and the creation time (a token's role)."""
    state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
    return f"{c.id:>4}  {c.name:<24} {kind}created {c.created_at:%Y-%m-%d %H:%M}  {state}"
