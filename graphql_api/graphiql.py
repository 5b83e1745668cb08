"""GraphiQL for browsers, from files The Eye serves itself (scripts/graphiql-assets.sh).

The page runs only scripts from this server (its own code is static/graphiql-eye.js, not
inline), under a Content-Security-Policy that also forbids framing; styles may be inline,
because GraphiQL's components set them at run time.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from base.web import SETTINGS

ASSETS_PATH = "/graphql/assets"
# name served -> file under <api_graphiql_dir>/node_modules
ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
    "graphql-ws.js": "graphql-ws/umd/graphql-ws.min.js",
}
OWN = {"graphiql-eye.js": Path(__file__).with_name("static") / "graphiql-eye.js"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                    "Cache-Control": "no-store"}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>The Eye — GraphiQL</title>
  <link rel="stylesheet" href="{assets}/graphiql.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL… Every request needs an API token: put
    {{"Authorization": "Bearer &lt;token&gt;"}} in its Headers tab.</div>
  <script src="{assets}/react.js"></script>
  <script src="{assets}/react-dom.js"></script>
  <script src="{assets}/graphiql.js"></script>
  <script src="{assets}/graphql-ws.js"></script>
  <script src="{assets}/graphiql-eye.js"></script>
</body>
</html>
"""

MISSING = ("GraphiQL's files are not installed on this server: run scripts/graphiql-assets.sh "
           "(it puts them in {dir}). The API itself works: POST queries to /graphql.")


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "") and "query" not in request.query


def _asset_dir(request: web.Request) -> Path:
    return Path(request.app[SETTINGS].api_graphiql_dir) / "node_modules"


async def page(request: web.Request) -> web.Response:
    root = _asset_dir(request)
    if not all((root / f).is_file() for f in ASSETS.values()):
        return web.Response(status=503, text=MISSING.format(dir=root.parent))
    return web.Response(text=PAGE.format(assets=ASSETS_PATH), content_type="text/html",
                        headers=SECURITY_HEADERS)


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name in OWN:
        return web.FileResponse(OWN[name], headers={"Cache-Control": "no-cache",
                                                    "X-Content-Type-Options": "nosniff"})
    relative = ASSETS.get(name)
    if relative is None:
        raise web.HTTPNotFound()
    path = _asset_dir(request) / relative
    if not path.is_file():
        return web.Response(status=503, text=MISSING.format(dir=_asset_dir(request).parent))
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400",
                                           "X-Content-Type-Options": "nosniff"})


def add_routes(app: web.Application) -> None:
    app.router.add_get(ASSETS_PATH + "/{name}", asset)
