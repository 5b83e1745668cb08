"""Keys of the shared aiohttp application state, in one neutral place every area can import."""

from __future__ import annotations

from aiohttp import web
from psycopg_pool import AsyncConnectionPool

from eye.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", AsyncConnectionPool)
