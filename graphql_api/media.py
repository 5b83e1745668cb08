"""The media types of GraphQL over HTTP: which one an answer takes, and how its status follows.

A client that accepts `application/graphql-response+json` gets it, with 4xx for request errors
(the document does not parse, is invalid, exceeds a bound, or its variables do not coerce); any
other client gets `application/json`, where a request error is still answered 200, as clients
written before that media type expect. Both answer a request error without a `data` key.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None) -> str:
    """The answer's media type for an Accept header: application/graphql-response+json when it
    is accepted at least as much as application/json; else application/json, also for `*/*`,
    no header, or a header naming neither (a JSON answer beats a bare 406)."""
    graphql_q = json_q = 0.0
    for item in (accept or "").split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE:
            graphql_q = max(graphql_q, _quality(params))
        elif media == JSON:
            json_q = max(json_q, _quality(params))
    return GRAPHQL_RESPONSE if graphql_q > 0 and graphql_q >= json_q else JSON


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)


def answer(request: web.Request, body: dict[str, Any] | bytes, *, status: int = 200,
           headers: dict[str, str] | None = None) -> web.Response:
    """A response in the media type the request negotiated."""
    return web.Response(body=body if isinstance(body, bytes) else _dumps(body), status=status,
                        headers=headers, content_type=negotiate(request.headers.get("Accept")),
                        charset="utf-8")


def request_error(request: web.Request, errors: list[dict[str, Any]], status: int = 400
                  ) -> web.Response:
    """A GraphQL request error: the operation did not run, so there is no `data`."""
    legacy = negotiate(request.headers.get("Accept")) == JSON
    return answer(request, {"errors": errors}, status=200 if legacy else status)
