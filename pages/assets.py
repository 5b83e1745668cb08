"""The pages' chart library (uPlot), served from files installed by scripts/ui-assets.sh."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from base.web import SETTINGS

ASSETS_PATH = "/ui/assets"
# name served -> file under <ui_assets_dir>/node_modules
ASSETS = {
    "uPlot.js": "uplot/dist/uPlot.iife.min.js",
    "uPlot.css": "uplot/dist/uPlot.min.css",
}
MISSING = ("The charts' library is not installed on this server: run scripts/ui-assets.sh "
           "(it puts it in {dir}). The pages work without it, with no charts.")

# For the pages' <head>: the library before the page's own script, which draws with it.
HEAD = (f'<link rel="stylesheet" href="{ASSETS_PATH}/uPlot.css">\n'
        f'<script src="{ASSETS_PATH}/uPlot.js" defer></script>')


async def asset(request: web.Request) -> web.StreamResponse:
    relative = ASSETS.get(request.match_info["name"])
    if relative is None:
        raise web.HTTPNotFound()
    root = Path(request.app[SETTINGS].ui_assets_dir)
    path = root / "node_modules" / relative
    if not path.is_file():
        return web.Response(status=503, text=MISSING.format(dir=root))
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400",
                                           "X-Content-Type-Options": "nosniff"})
