"""Secrets handed out once (app keys, API tokens): made here, and only their digests are kept."""

from __future__ import annotations

import hashlib
import secrets


def new(prefix: str, nbytes: int) -> str:
    """A fresh secret; the prefix tells a reader (or a secret scanner) what it is for."""
    return prefix + secrets.token_urlsafe(nbytes)


def digest(secret: str | bytes) -> bytes:
    # The secrets are long and random, so a plain digest is enough: there is nothing to guess.
    return hashlib.sha256(secret.encode() if isinstance(secret, str) else secret).digest()
