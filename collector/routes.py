"""The collector's routes: POST /v1/events (with CORS for browsers), POST /v1/validate and
GET /tracker.js."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from base.settings import Settings
from base.web import SETTINGS
from collector import validate
from collector.errors import BadRequest, CollectorError, TooLarge, Unauthorized, Unavailable
from collector.keys import AppKeys
from collector.producer import AsyncProducer, KeyValue
from store.db import POOL

STATIC = Path(__file__).parent / "static"
KEY_HEADER = "X-Eye-App-Key"
# navigator.sendBeacon cannot set headers, so tracker.js sends {"app_key": ..., "events": [...]}.
ENVELOPE_KEY = "app_key"
# Deprecated: the key in the query string, as tracker.js sent it before the envelope. A URL's
# query is written to access logs and proxies' logs; answered with a Deprecation header.
KEY_PARAM = "app_key"
ALLOWED_HEADERS = f"Authorization, Content-Type, {KEY_HEADER}"


@dataclass(frozen=True, slots=True)
class Collector:
    producer: AsyncProducer
    keys: AppKeys
    origins: frozenset[str]
    """Allowed browser origins; "*" allows any."""


COLLECTOR = web.AppKey("collector", Collector)


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_collector)
    app.router.add_post("/v1/events", post_events)
    app.router.add_route("OPTIONS", "/v1/events", preflight)
    app.router.add_post("/v1/validate", post_validate)
    app.router.add_route("OPTIONS", "/v1/validate", preflight)
    app.router.add_get("/tracker.js", tracker_js)


async def _collector(app: web.Application) -> AsyncIterator[None]:
    # Runs after the pool's context (added to cleanup_ctx before ours), and ends before it.
    settings = app[SETTINGS]
    producer = AsyncProducer(settings)
    origins = frozenset(o.strip() for o in settings.collector_cors_origins.split(",") if o.strip())
    app[COLLECTOR] = Collector(producer, AppKeys(app[POOL], ttl=settings.app_cache_seconds),
                               origins)
    yield
    await producer.close()


async def post_events(request: web.Request) -> web.Response:
    collector, settings = request.app[COLLECTOR], request.app[SETTINGS]
    deprecated = False
    try:
        key = _header_key(request)
        if key is None and KEY_PARAM in request.query:
            key, deprecated = request.query[KEY_PARAM].encode(), True
        if (request.content_length or 0) > settings.collector_max_body_bytes:
            raise _too_large(settings)
        if key is not None:  # checked before the body is read
            await collector.keys.check(key)
        body = await _read_body(request, settings)
        enveloped = _envelope(body)
        if enveloped is not None:
            if key is not None:
                raise BadRequest("the app key is given both in the body and outside it")
            key, body = enveloped
            await collector.keys.check(key)
        elif key is None:
            raise Unauthorized(f"no app key: send 'Authorization: Bearer <key>', {KEY_HEADER}, "
                               f'or a body {{"{ENVELOPE_KEY}": <key>, "events": [...]}}')
        messages = _messages(body, settings.collector_max_events)
        await collector.producer.send(messages, key)
    except CollectorError as exc:
        response = _error(exc)
    else:
        response = web.json_response({"accepted": len(messages)}, status=202)
    if deprecated:
        response.headers["Deprecation"] = "true"
    return _cors(request, response)


async def post_validate(request: web.Request) -> web.Response:
    """Each event's verdict as the worker would give it; nothing is sent or stored."""
    collector, settings = request.app[COLLECTOR], request.app[SETTINGS]
    try:
        # No key is no error here: the verdicts say so, as the worker's unauthorized_app would.
        key = _header_key(request)
        if (request.content_length or 0) > settings.collector_max_body_bytes:
            raise _too_large(settings)
        body = await _read_body(request, settings)
        enveloped = _envelope(body)  # the body tracker.js sends
        if enveloped is not None:
            if key is not None:
                raise BadRequest("the app key is given both in the body and outside it")
            key, body = enveloped
        values = [value for _, value in _messages(body, settings.collector_max_events)]
        resp = await validate.judge(values, collector.keys.check, key, settings)
    except CollectorError as exc:
        return _cors(request, _error(exc))
    return _cors(request, resp)


async def preflight(request: web.Request) -> web.Response:
    return _cors(request, web.Response(status=204, headers={
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "86400",
    }))


async def tracker_js(_request: web.Request) -> web.Response:
    return web.Response(body=_tracker_source(), content_type="application/javascript",
                        charset="utf-8", headers={"Cache-Control": "public, max-age=300"})


@cache
def _tracker_source() -> bytes:
    return (STATIC / "tracker.js").read_bytes()


def _header_key(request: web.Request) -> bytes | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip().encode()
    key = request.headers.get(KEY_HEADER)
    return key.encode() if key else None


def _envelope(body: bytes) -> tuple[bytes, bytes] | None:
    """(key, the events array's bytes) of a body {"app_key": ..., "events": [...]}, else None.
    No event is such an object: an event has a session_id, a category and a name."""
    if not body.lstrip().startswith(b"{") or ENVELOPE_KEY.encode() not in body:
        return None  # the common case, not parsed twice
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or set(doc) != {ENVELOPE_KEY, "events"}:
        return None
    key, events = doc[ENVELOPE_KEY], doc["events"]
    if not isinstance(key, str) or not key or not isinstance(events, list):
        raise BadRequest(f'an envelope is {{"{ENVELOPE_KEY}": "<key>", "events": [...]}}')
    return key.encode(), orjson.dumps(events)


async def _read_body(request: web.Request, settings: Settings) -> bytes:
    # Counted as read, not trusted from Content-Length: chunked bodies have none.
    limit, size, chunks = settings.collector_max_body_bytes, 0, []
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise _too_large(settings)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(settings: Settings) -> TooLarge:
    return TooLarge(f"body larger than {settings.collector_max_body_bytes} bytes")


def _messages(body: bytes, max_events: int) -> list[KeyValue]:
    """One Kafka (key, value) per event; the validators' verdict is left to the worker."""
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not JSON: {exc}") from None
    if not isinstance(doc, list):
        return [(_session_key(doc), body)]  # one event, passed on byte for byte
    if not doc:
        raise BadRequest("empty array: no events to send")
    if len(doc) > max_events:
        raise TooLarge(f"{len(doc)} events in one request; at most {max_events}")
    return [(_session_key(e), orjson.dumps(e)) for e in doc]


def _session_key(event: Any) -> bytes | None:
    sid = event.get("session_id") if isinstance(event, dict) else None
    return sid.encode() if isinstance(sid, str) else None


def _error(exc: CollectorError) -> web.Response:
    resp = web.json_response({"error": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, Unauthorized):
        resp.headers["WWW-Authenticate"] = 'Bearer realm="eye-events"'
    elif isinstance(exc, Unavailable):
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def _cors(request: web.Request, resp: web.Response) -> web.Response:
    origin = request.headers.get("Origin")
    allowed = request.app[COLLECTOR].origins
    if origin and ("*" in allowed or origin in allowed):
        # The origin is echoed rather than "*": a beacon is sent with credentials, and a
        # credentialed request is only answered to a named origin.
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.headers["Vary"] = "Origin"
    return resp
