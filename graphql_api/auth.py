"""Bearer tokens on the GraphQL routes: who is asking, or a 401 that says what is missing.

A token found active is trusted for api_token_cache_seconds (by its hash; unknown and revoked
tokens are not remembered), so most requests check it without a pool connection: a revoked
token is refused within that time.
"""

from __future__ import annotations

import logging

from aiohttp import web

from base.ttlcache import TtlCache
from base.web import SETTINGS
from graphql_api.errors import Unauthenticated, Unavailable
from store import secrets, tokens
from store.db import POOL
from store.errors import NO_ANSWER
from store.tokens import Token

log = logging.getLogger(__name__)
TOKEN_CACHE = web.AppKey("token_cache", TtlCache[bytes, Token])
HOW = "create one with `eye tokens add NAME` and send `Authorization: Bearer <token>`"


async def authenticate(request: web.Request) -> Token:
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthenticated(f"no Authorization header: {HOW}")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Unauthenticated(f"the Authorization header is not 'Bearer <token>': {HOW}")
    cache = request.app[TOKEN_CACHE] if request.app[SETTINGS].api_token_cache_seconds > 0 \
        else None
    key = tokens.token_hash(value)
    kept = cache.get(key) if cache is not None else None
    if kept is not None and kept[1]:
        return kept[0]
    try:
        async with request.app[POOL].connection() as conn:
            token = await tokens.active(conn, value)
    except NO_ANSWER as exc:
        log.warning("cannot check an API token: %s", exc)
        raise Unavailable("cannot check the token now: the database does not answer; "
                          "retry shortly") from None
    if token is not None and cache is not None:
        cache.put(key, token)
    if token is None:
        hint = secrets.wrong_kind(value, "api token")
        raise Unauthenticated(f"the bearer token is not an API token: {hint}" if hint
                              else "the bearer token is unknown or revoked")
    return token
