"""Pages served by The Eye under /ui: sessions, errors and the live pipeline, behind tokens."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from kafka_edge.lag import lag_monitor
from pages import assets, auth, sampler, views

STATIC = Path(__file__).with_name("static")


async def home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/ui/sessions")


def add_routes(app: web.Application) -> None:
    lag_monitor(app)  # the live panel shares /metrics' cached lag
    sampler.keep_history(app)
    r = app.router
    r.add_get("/ui", home)
    r.add_get("/ui/", home)
    r.add_get("/ui/login", auth.login_get)
    r.add_post("/ui/login", auth.login_post)
    r.add_post("/ui/logout", auth.logout)
    r.add_get("/ui/sessions", views.session_list)
    r.add_get("/ui/sessions/{session_id}", views.session_detail)
    r.add_get("/ui/errors", views.errors)
    r.add_get("/ui/live", views.live)
    r.add_get("/ui/live.json", views.live_json)
    r.add_get("/ui/live/history.json", views.live_history)
    r.add_get(assets.ASSETS_PATH + "/{name}", assets.asset)
    r.add_static("/ui/static", STATIC, append_version=False)
