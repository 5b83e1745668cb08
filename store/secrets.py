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


APP_KEY_PREFIX = "eye_"
"""Application keys (`eye apps add`): they send events."""
API_TOKEN_PREFIX = "eyt_"
"""API tokens (`eye tokens add`): they read through GraphQL and /ui."""


def wrong_kind(secret: str | bytes, wanted: str) -> str | None:
    """When a secret of the other kind was sent where `wanted` ("app key" or "api token")
    belongs, a sentence saying so; None otherwise. Both travel as 'Bearer', so the mix-up is
    easy, and the prefixes tell them apart without a lookup."""
    text = secret.decode("ascii", "replace") if isinstance(secret, bytes) else secret
    if wanted == "app key" and text.startswith(API_TOKEN_PREFIX):
        return ("this is an API token (eyt_…), which reads through GraphQL and /ui; events "
                "are sent with an application key (eye_…, from `eye apps add NAME`)")
    if wanted == "api token" and text.startswith(APP_KEY_PREFIX):
        return ("this is an application key (eye_…), which sends events; the API needs an API "
                "token (eyt_…, from `eye tokens add NAME`)")
    return None
