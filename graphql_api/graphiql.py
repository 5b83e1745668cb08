"""GraphiQL for browsers, from files The Eye serves itself (scripts/graphiql-assets.sh)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from eye.web import SETTINGS

ASSETS_PATH = "/graphql/assets"
# name served -> file under <api_graphiql_dir>/node_modules
ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>The Eye — GraphiQL</title>
  <link rel="stylesheet" href="{assets}/graphiql.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{assets}/react.js"></script>
  <script src="{assets}/react-dom.js"></script>
  <script src="{assets}/graphiql.js"></script>
  <script>
    // Every request needs a bearer token: paste yours into the Headers tab.
    const fetcher = GraphiQL.createFetcher({{ url: window.location.pathname }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{
        fetcher,
        defaultEditorToolsVisibility: "headers",
        shouldPersistHeaders: true,
        defaultHeaders: JSON.stringify(
          {{ Authorization: "Bearer <token from `eye tokens add NAME`>" }}, null, 2),
        defaultQuery: "{{ events(first: 10) {{ edges {{ cursor node {{ sessionId category name data timestamp }} }} pageInfo {{ hasNextPage endCursor }} }} }}\\n",
      }}));
  </script>
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
    return web.Response(text=PAGE.format(assets=ASSETS_PATH), content_type="text/html")


async def asset(request: web.Request) -> web.StreamResponse:
    relative = ASSETS.get(request.match_info["name"])
    if relative is None:
        raise web.HTTPNotFound()
    path = _asset_dir(request) / relative
    if not path.is_file():
        return web.Response(status=503, text=MISSING.format(dir=_asset_dir(request).parent))
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def add_routes(app: web.Application) -> None:
    app.router.add_get(ASSETS_PATH + "/{name}", asset)
