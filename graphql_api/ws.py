"""GraphQL over WebSocket on /graphql: the `graphql-transport-ws` protocol, as `graphql-ws`
clients (GraphiQL, Apollo, urql) speak it.

The client sends `connection_init` with its API token in the payload (`{"Authorization":
"Bearer <token>"}`, as GraphiQL sends its headers, or `{"token": "<token>"}`) and gets
`connection_ack`; then `subscribe` {id, payload: {query, variables, operationName}} and
receives `next` messages until `complete`; `ping` is answered `pong`. The document is bounded
as over HTTP (tokens, depth, cost). Closing codes:

    4400  a message that is not JSON or not of the protocol
    4401  `subscribe` before `connection_ack`
    4403  the token in `connection_init` is missing, unknown or revoked
    4406  the client does not speak graphql-transport-ws
    4408  no `connection_init` within EYE_API_WS_INIT_TIMEOUT seconds
    4409  a `subscribe` reusing the id of an open subscription
    4429  a second `connection_init`
    4503  the client reads too slowly: a subscription had more than EYE_API_WS_BUFFER
          messages waiting (subscribe again once it can keep up)
    1013  the server cannot keep up with a subscription (short of CPU): try again later
    1000  no subscription for EYE_API_WS_IDLE_TIMEOUT seconds
    1001  the server is stopping

Clients that send the same subscription share one execution of it (graphql_api/hub.py).
A peer that does not answer the WebSocket pings sent every EYE_API_WS_HEARTBEAT seconds is
disconnected. A subscription over the token's limit of open subscriptions is refused with an
`error` message (code TOO_MANY_SUBSCRIPTIONS); the connection stays open.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    get_operation_ast,
    subscribe,
)
from graphql import execute as execute_query
from graphql import validate as validate_query
from graphql.execution.values import get_variable_values

from base.web import SETTINGS
from graphql_api import limits
from graphql_api.errors import ApiError, format_error
from graphql_api.feed import Feed, FeedUnavailable
from graphql_api.hub import Hub, Outbox
from graphql_api.quota import Quotas
from graphql_api.schema import SCHEMA
from graphql_api.subscriptions import SubscriptionContext
from kafka_edge.lag import lag_monitor
from store import tokens
from store.db import POOL
from store.errors import NO_ANSWER
from store.tokens import Token

log = logging.getLogger("eye.graphql.ws")
CLOSE_WAIT = 10.0  # seconds for a closing peer to take the close frame and answer it

PROTOCOL = "graphql-transport-ws"
FEED = web.AppKey("subscription_feed", Feed)
QUOTAS = web.AppKey("subscription_quotas", Quotas)
HUB = web.AppKey("subscription_hub", Hub)
CONNECTIONS: web.AppKey[weakref.WeakSet[Connection]] = web.AppKey("ws_connections")


class Close(Exception):
    """End the connection with this WebSocket close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def wants_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _token_text(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key, value in payload.items():
        if not isinstance(value, str):
            continue
        if key.lower() == "token":
            return value.strip() or None
        if key.lower() == "authorization":
            scheme, _, rest = value.strip().partition(" ")
            return rest.strip() or None if scheme.lower() == "bearer" else None
    return None


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _dumps_sorted(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


def _body(result: ExecutionResult, statement_timeout_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(e, statement_timeout_ms=statement_timeout_ms)
                          for e in result.errors]
    return body


class Connection:
    """One client's WebSocket: its token once acknowledged, and its running operations."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.request, self.ws = request, ws
        self.app = request.app
        self.settings = request.app[SETTINGS]
        self.token: Token | None = None
        self.init_seen = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.idle_since = time.monotonic()
        self._send_lock = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None
        self.schema = request.app[SCHEMA]

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_str(_dumps(message))

    def close_soon(self, code: int, reason: str) -> None:
        """Close from code that must not wait (the feed's dispatch)."""
        if self._closing is None and not self.ws.closed:
            self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        for task in list(self.operations.values()):
            task.cancel()
        try:
            # A peer that reads nothing never lets the close frame out: give up on it.
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()[:123]),
                                   timeout=CLOSE_WAIT)
        except TimeoutError:
            if self.request.transport is not None:
                self.request.transport.abort()

    async def watch(self) -> None:
        """The init timeout, then the idle timeout."""
        s = self.settings
        opened = time.monotonic()
        while not self.ws.closed:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            if self.token is None and now - opened > s.api_ws_init_timeout:
                self.close_soon(4408, "Connection initialisation timeout")
                return
            if self.token is not None and not self.operations and \
                    now - self.idle_since > s.api_ws_idle_timeout:
                self.close_soon(1000, f"idle: no subscription for {s.api_ws_idle_timeout:g} s")
                return

    async def run(self) -> None:
        watcher = asyncio.create_task(self.watch())
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.TEXT:
                    raise Close(4400, "Invalid message received: send JSON text")
                try:
                    message = orjson.loads(msg.data)
                except orjson.JSONDecodeError:
                    raise Close(4400, "Invalid message received: not JSON") from None
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    raise Close(4400, "Invalid message received: no type")
                await self.handle(message)
        except Close as close:
            self.close_soon(close.code, close.reason)
            if self._closing is not None:
                await self._closing
        finally:
            watcher.cancel()
            for task in list(self.operations.values()):
                task.cancel()
            await asyncio.gather(*self.operations.values(), return_exceptions=True)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if self.init_seen:
                raise Close(4429, "Too many initialisation requests")
            self.init_seen = True
            self.token = await self.authenticate(message.get("payload"))
            self.idle_since = time.monotonic()
            await self.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            if self.token is None:
                raise Close(4401, "Unauthorized: send connection_init and wait for the ack")
            self.start(message)
        elif kind == "complete":
            op_id = message.get("id")
            task = self.operations.get(op_id) if isinstance(op_id, str) else None
            if task is not None:
                task.cancel()
        else:
            raise Close(4400, f"Invalid message received: unknown type {kind!r}")

    async def authenticate(self, payload: Any) -> Token:
        text = _token_text(payload)
        if text is None:
            raise Close(4403, "Forbidden: put {\"Authorization\": \"Bearer <token>\"} in the "
                              "connection_init payload")
        try:
            async with self.app[POOL].connection() as conn:
                token = await tokens.active(conn, text)
        except NO_ANSWER as exc:
            log.warning("cannot check an API token: %s", exc)
            raise Close(1013, "Try Again Later: cannot check the token now") from None
        if token is None:
            raise Close(4403, "Forbidden: the bearer token is unknown or revoked")
        return token

    def start(self, message: dict[str, Any]) -> None:
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            raise Close(4400, "Invalid message received: subscribe needs an id and a payload")
        if op_id in self.operations:
            raise Close(4409, f"Subscriber for {op_id} already exists")
        self.operations[op_id] = asyncio.create_task(self.operate(op_id, payload))

    async def operate(self, op_id: str, payload: dict[str, Any]) -> None:
        assert self.token is not None
        quotas = self.app[QUOTAS]
        counted = False
        try:
            try:
                prepared = self.prepare(payload)
                if isinstance(prepared, list):
                    await self.send({"id": op_id, "type": "error", "payload": prepared})
                    return
                document, operation = prepared
                if operation.operation == OperationType.SUBSCRIPTION:
                    quotas.open(self.token.id)
                    counted = True
            except ApiError as exc:
                await self.send({"id": op_id, "type": "error", "payload": [
                    {"message": str(exc), "extensions": {"code": exc.code, **exc.extensions}}]})
                return
            args = {"schema": self.schema, "document": document,
                    "variable_values": payload.get("variables"),
                    "operation_name": payload.get("operationName")}
            if operation.operation != OperationType.SUBSCRIPTION:
                result = execute_query(**args, context_value=self.context(lambda: None))
                if not isinstance(result, ExecutionResult):
                    result = await result
                await self.send({"id": op_id, "type": "next", "payload": self.body(result)})
            else:
                refused = await self.follow(op_id, payload, args)
                if refused is not None:
                    await self.send({"id": op_id, "type": "error",
                                     "payload": self.body(refused).get("errors", [])})
                    return
            await self.send({"id": op_id, "type": "complete"})
        except asyncio.CancelledError:
            pass
        except (ConnectionResetError, RuntimeError) as exc:  # the socket is closing
            log.debug("subscription %s ended: %s", op_id, exc)
        finally:
            if counted:
                quotas.close(self.token.id)
            self.operations.pop(op_id, None)
            if not self.operations:
                self.idle_since = time.monotonic()

    def context(self, on_overflow: Callable[[], None]) -> SubscriptionContext:
        assert self.token is not None
        return SubscriptionContext(pool=self.app[POOL], settings=self.settings, token=self.token,
                                   feed=self.app[FEED], lag=lag_monitor(self.app),
                                   on_overflow=on_overflow)

    async def follow(self, op_id: str, payload: dict[str, Any], args: dict[str, Any]
                     ) -> ExecutionResult | None:
        """Relay the shared stream of this subscription until it ends or the client leaves;
        the errors that kept it from starting, if any."""
        assert self.token is not None
        hub, quotas = self.app[HUB], self.app[QUOTAS]
        key = (payload["query"], _dumps_sorted(payload.get("variables") or {}),
               payload.get("operationName"))
        buffer = self.settings.api_ws_buffer
        outbox = Outbox(
            buffer,
            on_overflow=lambda: self.close_soon(
                4503, f"slow consumer: more than {buffer} messages waiting; subscribe again "
                      "when you can keep up"),
            on_overloaded=lambda: self.close_soon(
                1013, "the server cannot keep up with this subscription: try again later"))

        async def start(on_overloaded: Callable[[], None]
                        ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
            stream = subscribe(**args, context_value=self.context(on_overloaded))
            if not isinstance(stream, ExecutionResult) and hasattr(stream, "__await__"):
                stream = await stream
            return stream  # type: ignore[return-value]

        refused = await hub.attach(key, start, outbox)
        if refused is not None:
            return refused
        prefix = '{"id":' + _dumps(op_id) + ',"type":"next","payload":'
        try:
            while (body := await outbox.next()) is not None:
                await quotas.pace(self.token.id)
                async with self._send_lock:
                    await self.ws.send_str(prefix + body + "}")
        finally:
            hub.detach(key, outbox)
        return None

    def body(self, result: ExecutionResult) -> dict[str, Any]:
        return _body(result, self.settings.api_statement_timeout_ms)

    def prepare(self, payload: dict[str, Any]) -> Any:
        """The parsed document and its operation, or a list of errors to answer with.
        Raises ApiError for a limit exceeded."""
        query, variables = payload.get("query"), payload.get("variables")
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or not query.strip():
            return [{"message": "no query given: send {\"query\": \"…\"}"}]
        if variables is not None and not isinstance(variables, dict):
            return [{"message": "`variables` must be a JSON object"}]
        if operation_name is not None and not isinstance(operation_name, str):
            return [{"message": "`operationName` must be a string"}]
        s = self.settings
        schema = self.schema
        try:
            document = limits.parse_bounded(query, s.api_max_tokens)
        except GraphQLError as exc:
            return [exc.formatted]
        invalid = validate_query(schema, document)
        if invalid:
            return [e.formatted for e in invalid]
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return [{"message": "the document holds several operations: name one in "
                                "operationName" if not operation_name else
                                f"no operation named {operation_name!r}"}]
        coerced = get_variable_values(schema, operation.variable_definitions or (),
                                      variables or {})
        if not isinstance(coerced, list):  # a list is of errors, which execution reports
            limits.check(schema, document, operation, coerced, limits.Limits(
                max_tokens=s.api_max_tokens, max_depth=s.api_max_depth, max_cost=s.api_max_cost,
                page_default=s.api_page_default, page_max=s.api_page_max,
                list_max=s.api_list_max))
        return document, operation


async def handle(request: web.Request) -> web.WebSocketResponse:
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(protocols=(PROTOCOL,), heartbeat=settings.api_ws_heartbeat,
                               max_msg_size=settings.api_max_body_bytes)
    await ws.prepare(request)
    if ws.ws_protocol != PROTOCOL:
        await ws.close(code=4406, message=b"Subprotocol not acceptable: use "
                                          b"graphql-transport-ws")
        return ws
    conn = Connection(request, ws)
    request.app[CONNECTIONS].add(conn)
    await conn.run()
    if not ws.closed:
        await ws.close()
    return ws


def add_routes(app: web.Application) -> None:
    """The feed and the quotas of this process (the route is /graphql's GET, in http.py)."""
    settings = app[SETTINGS]
    app[QUOTAS] = Quotas(settings.api_ws_max_subscriptions, settings.api_ws_messages_per_second)

    def failure(exc: Exception) -> str | None:
        if isinstance(exc, FeedUnavailable):
            return _dumps({"errors": [{"message": str(exc),
                                       "extensions": {"code": "FEED_INTERRUPTED"}}]})
        log.error("a subscription failed", exc_info=exc)
        return _dumps({"errors": [{"message": "internal error; the server log has the details",
                                   "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})

    app[HUB] = Hub(lambda r: _dumps(_body(r, settings.api_statement_timeout_ms)), failure)

    async def feed(app: web.Application) -> AsyncIterator[None]:
        app[FEED] = Feed(settings.dsn, app[POOL])
        yield
        await app[FEED].close()

    app.cleanup_ctx.append(feed)

    async def close_sockets(app: web.Application) -> None:
        # Open WebSockets would hold the server's shutdown until their clients leave.
        for conn in list(app[CONNECTIONS]):
            conn.close_soon(1001, "the server is stopping")

    app[CONNECTIONS] = weakref.WeakSet()
    app.on_shutdown.append(close_sockets)
