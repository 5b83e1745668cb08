"""Signing in to the pages with an API token: a form that sets an HttpOnly cookie.

The cookie holds the token itself (as the Authorization header would), so revoking the token
with `eye tokens revoke` signs its browsers out at their next request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from aiohttp import web

from base.settings import Settings
from base.web import SETTINGS
from pages.html import attr, esc, page, url
from store import secrets, tokens
from store.db import POOL
from store.tokens import Token

COOKIE = "eye_token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    path: str
    secure: bool


def cookie(request: web.Request) -> Cookie:
    """Behind https (EYE_PUBLIC_URL, or TLS here) the cookie is Secure and named __Host-, so
    a plain-http page or a sibling subdomain can neither read nor plant it."""
    public = request.app[SETTINGS].public_url
    if (public or "").startswith("https://") or request.secure:
        return Cookie("__Host-" + COOKIE, "/", True)  # __Host- requires Path=/
    return Cookie(COOKIE, "/ui", False)


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
        if await verify(request, request.cookies.get(cookie(request).name)) is None:
            if request.path.endswith(".json"):
                return web.json_response({"error": "not signed in"}, status=401)
            raise web.HTTPSeeOther(url("/ui/login", next=request.path_qs))
        return await handler(request)

    return wrapped


def cross_site(request: web.Request, settings: Settings) -> str | None:
    """Why a POST comes from another site's page, or None. SameSite=Lax keeps the cookie off
    such a POST, but not a forced sign-in with the attacker's own token, nor a sign-out."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = request.headers.get("Origin")
    if origin is None:
        return None  # not a browser, or one too old to say: SameSite still holds
    if settings.public_url:
        ours = settings.public_url.rstrip("/")
        return None if origin == ours else f"Origin {origin} is not {ours}"
    # Without EYE_PUBLIC_URL a TLS proxy may hide the scheme from us: compare hosts only.
    return None if urlsplit(origin).netloc == request.host else f"Origin {origin}"


def _refuse_cross_site(request: web.Request) -> None:
    reason = cross_site(request, request.app[SETTINGS])
    if reason is not None:
        raise web.HTTPForbidden(text=f"a sign-in form may be sent from this site only ({reason})")


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
    _refuse_cross_site(request)
    form = await request.post()
    token, next_ = str(form.get("token", "")).strip(), _safe_next(str(form.get("next", "")))
    if await verify(request, token) is None:
        hint = secrets.wrong_kind(token, "api token")
        return login_form(next_, f"That key cannot sign in: {hint}." if hint else
                          "That token is unknown or revoked.", status=401)
    response = web.HTTPSeeOther(next_)
    c = cookie(request)
    response.set_cookie(c.name, token, httponly=True, samesite="Lax", path=c.path,
                        secure=c.secure, max_age=request.app[SETTINGS].ui_cookie_max_age)
    raise response


async def logout(request: web.Request) -> web.Response:
    _refuse_cross_site(request)
    response = web.HTTPSeeOther("/ui/login")
    c = cookie(request)
    response.del_cookie(c.name, path=c.path, secure=c.secure, samesite="Lax")
    raise response
