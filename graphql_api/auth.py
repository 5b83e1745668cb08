"""Bearer tokens on the GraphQL routes: who is asking, or a 401 that says what is missing."""

from __future__ import annotations

from aiohttp import web

from eye.web import POOL
from graphql_api.errors import Unauthenticated
from store import secrets, tokens
from store.tokens import Token

HOW = "create one with `eye tokens add NAME` and send `Authorization: Bearer <token>`"


async def authenticate(request: web.Request) -> Token:
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthenticated(f"no Authorization header: {HOW}")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Unauthenticated(f"the Authorization header is not 'Bearer <token>': {HOW}")
    async with request.app[POOL].connection() as conn:
        token = await tokens.active(conn, value)
    if token is None:
        hint = secrets.wrong_kind(value, "api token")
        raise Unauthenticated(f"the bearer token is not an API token: {hint}" if hint
                              else "the bearer token is unknown or revoked")
    return token
