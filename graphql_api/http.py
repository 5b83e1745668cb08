"""GraphQL over HTTP: the /graphql routes, their bearer-token check and their limits.

POST takes a JSON body {query, variables, operationName, extensions} sent as application/json;
GET takes the same as URL parameters and runs queries only (a mutation over GET is answered
405). A browser's GET without a query gets GraphiQL. Media types and the status of request
errors follow the GraphQL over HTTP spec (media.py); HTTP-level faults (no token, a body that is
not JSON, parameters of the wrong type, a body too large) are 4xx in either media type. Once an
operation runs, the answer is 200 with `data` and any field errors.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    get_operation_ast,
)
from graphql import execute as execute_query
from graphql import validate as validate_query
from graphql.execution.values import get_variable_values

from base.ttlcache import TtlCache
from base.web import SETTINGS
from graphql_api import graphiql, introspection, limits, media, ws
from graphql_api.auth import TOKEN_CACHE, authenticate
from graphql_api.context import Context
from graphql_api.errors import ApiError, BodyTooLarge, entry, format_error
from graphql_api.executor import SlicingExecutor
from graphql_api.gate import RequestConnections, TokenGates
from graphql_api.precedence import Precedence, Turn
from graphql_api.schema import SCHEMA, load_schema
from store.db import POOL
from store.tokens import Token

GATES = web.AppKey("token_gates", TokenGates)
HEAVY_LANE = web.AppKey("heavy_lane", asyncio.Semaphore)
PRECEDENCE = web.AppKey("precedence", Precedence)


def _api_error(request: web.Request, error: ApiError) -> web.Response:
    if error.request_error:
        return media.request_error(request, [entry(error)], error.status)
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="the-eye"'
    elif error.status == 405:
        headers["Allow"] = "POST"
    return media.answer(request, {"errors": [entry(error)]}, status=error.status, headers=headers)


class BadRequest(ApiError):
    pass


class NoSuchOperation(ApiError):
    request_error = True


class MethodNotAllowed(ApiError):
    code, status = "METHOD_NOT_ALLOWED", 405


class UnsupportedMediaType(ApiError):
    code, status = "UNSUPPORTED_MEDIA_TYPE", 415


def _check_content_type(request: web.Request) -> None:
    """A POST body must say it is JSON; JSON is UTF-8, so only that charset is taken."""
    header = request.headers.get("Content-Type")
    if header is None:
        raise UnsupportedMediaType("no Content-Type header: send the body as application/json")
    if request.content_type != media.JSON or request.charset not in (None, "utf-8"):
        raise UnsupportedMediaType(f"the body is {header!r}; send it as application/json "
                                   "(UTF-8)")


def _limits(request: web.Request) -> limits.Limits:
    s = request.app[SETTINGS]
    return limits.Limits(max_tokens=s.api_max_tokens, max_depth=s.api_max_depth,
                         max_cost=s.api_max_cost, page_default=s.api_page_default,
                         page_max=s.api_page_max, list_max=s.api_list_max,
                         max_aliases=s.api_max_aliases, max_statements=s.api_max_statements,
                         max_introspection=s.api_max_introspection_objects,
                         light_max_statements=s.api_light_max_statements,
                         light_max_cost=s.api_light_max_cost)


@lru_cache(maxsize=512)
def _document(schema: GraphQLSchema, query: str, max_tokens: int
              ) -> tuple[DocumentNode, tuple[GraphQLError, ...]]:
    """The parsed document and its validation errors. Clients send the same few query texts
    with different variables, and validating one costs more than running it."""
    document = limits.parse_bounded(query, max_tokens)
    return document, tuple(validate_query(schema, document))


async def _run(request: web.Request, token: Token, params: dict[str, Any], turn: Turn, *,
               method: str) -> web.Response:
    query, variables = params.get("query"), params.get("variables")
    operation_name, extensions = params.get("operationName"), params.get("extensions")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("no query given: send {\"query\": \"…\"}")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("`operationName` must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadRequest("`extensions` must be a JSON object")
    schema = request.app[SCHEMA]
    bounds = _limits(request)
    try:
        document, invalid = _document(schema, query, bounds.max_tokens)
    except GraphQLError as exc:
        return media.request_error(request, [exc.formatted])
    if invalid:
        return media.request_error(request, [e.formatted for e in invalid])
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise NoSuchOperation(f"no operation named {operation_name!r}" if operation_name else
                              "the document holds several operations: name one in operationName")
    if operation.operation == OperationType.SUBSCRIPTION:
        raise BadRequest("a subscription needs a WebSocket: open /graphql with the "
                         "graphql-transport-ws protocol")
    if method == "GET" and operation.operation != OperationType.QUERY:
        raise MethodNotAllowed(f"a {operation.operation.value} must be sent with POST")
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):  # of errors: the variables do not fit their types
        return media.request_error(request, [e.formatted for e in coerced])
    measured = limits.check(schema, document, operation, coerced, bounds)
    if measured.schema_only:
        turn.heavy()
        return media.answer(request, await introspection.answer(schema, query, operation_name,
                                                                variables))

    settings = request.app[SETTINGS]
    lane = None
    if not limits.is_light(measured, bounds):
        turn.heavy()
        lane = request.app[HEAVY_LANE]
    pool = RequestConnections(request.app[POOL], request.app[GATES].gate(token.id),
                              settings.api_max_statements, lane)
    context = Context(pool=pool, settings=settings, token=token,
                      pause=request.app[PRECEDENCE].pause if lane else None)
    result = execute_query(schema, document, variable_values=variables,
                           operation_name=operation_name, context_value=context,
                           executor_class=SlicingExecutor)
    if not isinstance(result, ExecutionResult):
        result = await result
    body: dict[str, Any] = {"data": result.data}
    errors = [format_error(e, statement_timeout_ms=settings.api_statement_timeout_ms)
              for e in [*(result.errors or ()), *context.notes]]
    if errors:
        body["errors"] = errors
    return media.answer(request, body)


async def _read_body(request: web.Request, limit: int) -> bytes:
    too_large = BodyTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def graphql_post(request: web.Request) -> web.Response:
    try:
        _check_content_type(request)
        token = await authenticate(request)
        raw = await _read_body(request, request.app[SETTINGS].api_max_body_bytes)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        with request.app[PRECEDENCE].arriving() as turn:
            return await _run(request, token, body, turn, method="POST")
    except ApiError as exc:
        return _api_error(request, exc)


async def graphql_get(request: web.Request) -> web.StreamResponse:
    if ws.wants_websocket(request):
        return await ws.handle(request)
    if graphiql.wants_html(request):
        return await graphiql.page(request)
    try:
        token = await authenticate(request)
        params: dict[str, Any] = {"query": request.query.get("query"),
                                  "operationName": request.query.get("operationName")}
        for name in ("variables", "extensions"):
            text = request.query.get(name)
            try:
                params[name] = orjson.loads(text) if text else None
            except orjson.JSONDecodeError:
                raise BadRequest(f"the `{name}` parameter is not JSON") from None
        with request.app[PRECEDENCE].arriving() as turn:
            return await _run(request, token, params, turn, method="GET")
    except ApiError as exc:
        return _api_error(request, exc)


def add_routes(app: web.Application) -> None:
    app[SCHEMA] = load_schema()
    settings = app[SETTINGS]
    app[GATES] = TokenGates(settings.api_token_concurrency)
    app[HEAVY_LANE] = asyncio.Semaphore(settings.api_heavy_concurrency)
    app[PRECEDENCE] = Precedence()
    app[TOKEN_CACHE] = TtlCache(settings.api_token_cache_seconds, max_entries=10_000)
    app.router.add_post("/graphql", graphql_post)
    app.router.add_get("/graphql", graphql_get)
    graphiql.add_routes(app)
    ws.add_routes(app)
