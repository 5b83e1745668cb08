"""Signing in to the pages with an API token: a form that sets an HttpOnly cookie.

The cookie holds the token itself (as the Authorization header would), so revoking the token
with `eye tokens revoke` signs its browsers out at their next request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from eye.web import POOL
from pages.html import attr, esc, page, url
from store import tokens
from store.tokens import Token

COOKIE = "eye_token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def verify(request: web.Request, token: str | None) -> Token | None:
    if not token:
        return None
    async with request.app[POOL].connection() as conn:
        return await tokens.active(conn, token)


def protected(handler: Handler) -> Handler:
    """Serve `handler` to a signed-in browser; send others to the login form (or a 401 for
    the JSON endpoints)."""

    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        if await verify(request, request.cookies.get(COOKIE)) is None:
            if request.path.endswith(".json"):
                return web.json_response({"error": "not signed in"}, status=401)
            raise web.HTTPSeeOther(url("/ui/login", next=request.path_qs))
        return await handler(request)

    return wrapped


def _safe_next(target: str | None) -> str:
    # Only our own pages: never an absolute or protocol-relative URL.
    if target and target.startswith("/ui/") and not target.startswith("/ui//"):
        return target
    return "/ui/sessions"


def login_form(next_: str, error: str = "", status: int = 200) -> web.Response:
    message = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = f"""{message}
<form class="login" method="post" action="/ui/login">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required
         placeholder="eyt_…">
  <input type="hidden" name="next" value={attr(next_)}>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Create a token with <code>eye tokens add NAME</code>; the same tokens serve
the GraphQL API.</p>"""
    return page("Sign in", body, status=status, signed_in=False)


async def login_get(request: web.Request) -> web.Response:
    return login_form(_safe_next(request.query.get("next")))


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    token, next_ = str(form.get("token", "")).strip(), _safe_next(str(form.get("next", "")))
    if await verify(request, token) is None:
        return login_form(next_, "That token is unknown or revoked.", status=401)
    response = web.HTTPSeeOther(next_)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/ui",
                        secure=request.secure)
    raise response


async def logout(_request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/ui/login")
    response.del_cookie(COOKIE, path="/ui")
    raise response
