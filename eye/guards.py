"""Limits on slow and numerous clients: a body deadline and a connection cap for the HTTP server.

aiohttp waits for a request's body as long as the client keeps the connection open, and takes
every connection it is offered; a client sending a byte a second would hold a handler (and,
for /v1/events, a producer slot) for ever. The header deadline needs no code here: aiohttp
closes a connection that has not sent a complete request line and headers within its
keep-alive timeout, measured from the connection's opening or its previous response, so the
server sets that timeout to EYE_API_HEADER_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

# Written straight to the socket: a refused connection costs no request handler.
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\n"
        b"too many connections\n")


def body_deadline(seconds: float) -> Middleware:
    """Middleware: a request's whole body must arrive within `seconds` of its headers, or it is
    answered 408 and its connection closed. Time the handler spends after the last byte (a
    database query, the broker's ack) is not counted."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content.is_eof():
            return await handler(request)
        try:
            async with asyncio.timeout(seconds) as deadline:
                request.content.on_eof(lambda: deadline.reschedule(None))
                return await handler(request)
        except TimeoutError:
            if request.content.is_eof():
                raise  # the handler's own timeout, not ours
        log.info("%s %s: body not received within %s s; answered 408", request.method,
                 request.path, seconds)
        response = web.json_response(
            {"error": "request_timeout",
             "detail": f"the request body did not arrive within {seconds:g} s"}, status=408)
        response.force_close()
        await response.prepare(request)
        await response.write_eof()
        # The rest of the body is not worth waiting for (aiohttp would linger to read it).
        request.protocol.force_close()
        return response

    return middleware


class _Busy(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(BUSY)
        transport.close()


def capped(server: web.Server, limit: int) -> Callable[[], asyncio.Protocol]:
    """A protocol factory serving at most `limit` connections at once; one more is answered
    503 and closed at once."""

    def factory() -> asyncio.Protocol:
        if len(server.connections) >= limit:
            log.warning("%d connections open: refusing another", limit)
            return _Busy()
        return server()

    return factory
