"""HTML building blocks: one page layout (string.Template) and escaping helpers.

Every value that reaches a page goes through `esc` (or `attr` for attributes); templates
receive only markup built here.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from string import Template
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

# No inline script or style: the policy allows only our own files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · The Eye</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/static/eye.css">
$head
</head>
<body>
<header class="top">
  <a class="brand" href="/ui/sessions">The Eye</a>
  <nav>$nav</nav>
  $logout
</header>
<main>
<h1>$title</h1>
$body
</main>
</body>
</html>
""")

NAV = (("sessions", "/ui/sessions", "Sessions"), ("errors", "/ui/errors", "Errors"),
       ("live", "/ui/live", "Live pipeline"))

LOGOUT = ('<form class="logout" method="post" action="/ui/logout">'
          '<button type="submit">Sign out</button></form>')


def esc(value: Any) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def attr(value: Any) -> str:
    return '"' + esc(value) + '"'


def when(value: datetime | None) -> str:
    """A timestamp as UTC, to the millisecond."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def url(path: str, **query: Any) -> str:
    """`path` with the query parameters that have a value."""
    q = {k: v for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urlencode(q) if q else "")


def page(title: str, body: str, *, current: str = "", head: str = "", status: int = 200,
         signed_in: bool = True) -> web.Response:
    mark = ' class="current" aria-current="page"'
    nav = " ".join(f'<a href="{href}"{mark if key == current else ""}>{label}</a>'
                   for key, href, label in NAV) if signed_in else ""
    text = LAYOUT.substitute(title=esc(title), head=head, nav=nav, body=body,
                             logout=LOGOUT if signed_in else "")
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers=SECURITY_HEADERS)


SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
