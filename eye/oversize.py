"""Request lines and headers too long for the server: a JSON 414 or 431, not a traceback.

aiohttp's parser refuses a line over its limit (8190 bytes) with a plain-text 400 and logs the
client's mistake as a server error with a traceback. Its limits are raised far above ours here,
so the request reaches the application, which answers in JSON with the limit it passed. A line
longer still gets the parser's plain 400, logged as one warning line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from base.settings import Settings

# What the parser itself holds for one line; the application's limits are well below it.
PARSER_LINE_BYTES = 1024 * 1024


class _ClientFaultsLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, with the requests its parser refused logged as warnings."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError) and 400 <= (exc_info.code or 0) < 500:
            self.logger.warning("refused a request the HTTP parser could not read: %s",
                                exc_info.message)
            return
        self.logger.exception(msg, *args, exc_info=exc_info, **kwargs)


def handler_args() -> dict[str, Any]:
    """Keyword arguments for aiohttp's request handler (web.Application(handler_args=…))."""
    return {"max_line_size": PARSER_LINE_BYTES, "max_field_size": PARSER_LINE_BYTES,
            "logger": _ClientFaultsLog(logging.getLogger("aiohttp.server"), {})}


def _refuse(status: int, code: str, message: str, limit: int) -> web.Response:
    return web.json_response({"errors": [{"message": message,
                                          "extensions": {"code": code, "limit": limit}}]},
                             status=status)


def middleware(settings: Settings) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def refuse_oversize(request: web.Request,
                              handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                              ) -> web.StreamResponse:
        url_limit, header_limit = settings.api_max_url_bytes, settings.api_max_header_bytes
        if len(request.raw_path) > url_limit:
            return _refuse(414, "URI_TOO_LONG", f"the URL is longer than {url_limit} bytes; "
                           "send the query with POST", url_limit)
        for name, value in request.raw_headers:
            if len(name) + len(value) + 2 > header_limit:
                return _refuse(431, "HEADER_TOO_LARGE", f"the header {name.decode('latin-1')!r}"
                               f" is longer than {header_limit} bytes", header_limit)
        return await handler(request)

    return refuse_oversize
