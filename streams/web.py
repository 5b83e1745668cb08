"""The worker's web server: only the pages the worker adds itself (/metrics, /healthz).

Faust serves, on the same port and without any token, its routing table (/router/), every
table's contents by key (/table/sessions/<session id>/ returns that session's state), its
statistics and an index. None of it is for anyone but us, so none of it is mounted.
"""

from __future__ import annotations

from faust.web.drivers.aiohttp import Web as AiohttpWeb


class Web(AiohttpWeb):
    default_blueprints = []
    production_blueprints = []
    debug_blueprints = []
    optional_blueprints = []
