"""The key of the settings in the shared aiohttp application state, which every area reads.

The pool's key is the database edge's own (store/db.py): only store/ names psycopg's types."""

from __future__ import annotations

from aiohttp import web

from base.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
