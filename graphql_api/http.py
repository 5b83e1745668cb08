"""GraphQL over HTTP: the /graphql routes, their bearer-token check and their limits.

POST takes a JSON body {query, variables, operationName}; GET takes the same as URL parameters
and runs queries only (a mutation over GET is answered 405). A browser's GET without a query
gets GraphiQL. Request errors (auth, limits, syntax, validation) are answered 4xx with a JSON
`errors` array; once an operation runs, the answer is 200 with `data` and any field errors.
"""

from __future__ import annotations

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

from eye.web import POOL, SETTINGS
from graphql_api import graphiql, limits, ws
from graphql_api.auth import authenticate
from graphql_api.context import Context
from graphql_api.errors import ApiError, LimitExceeded, entry, format_error
from graphql_api.schema import load_schema
from store.tokens import Token

SCHEMA = web.AppKey("schema", GraphQLSchema)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
          ) -> web.Response:
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


def _api_error(error: ApiError) -> web.Response:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="the-eye"'
    elif error.status == 405:
        headers["Allow"] = "POST"
    return _json({"errors": [entry(error)]}, status=error.status, headers=headers)


class BadRequest(ApiError):
    pass


class MethodNotAllowed(ApiError):
    code, status = "METHOD_NOT_ALLOWED", 405


def _limits(request: web.Request) -> limits.Limits:
    s = request.app[SETTINGS]
    return limits.Limits(max_tokens=s.api_max_tokens, max_depth=s.api_max_depth,
                         max_cost=s.api_max_cost, page_default=s.api_page_default,
                         page_max=s.api_page_max, list_max=s.api_list_max)


@lru_cache(maxsize=512)
def _document(schema: GraphQLSchema, query: str, max_tokens: int
              ) -> tuple[DocumentNode, tuple[GraphQLError, ...]]:
    """The parsed document and its validation errors. Clients send the same few query texts
    with different variables, and validating one costs more than running it."""
    document = limits.parse_bounded(query, max_tokens)
    return document, tuple(validate_query(schema, document))


async def _run(request: web.Request, token: Token, query: Any, variables: Any,
               operation_name: Any, *, method: str) -> web.Response:
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("no query given: send {\"query\": \"…\"}")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("`operationName` must be a string")
    schema = request.app[SCHEMA]
    bounds = _limits(request)
    try:
        document, invalid = _document(schema, query, bounds.max_tokens)
    except GraphQLError as exc:
        return _json({"errors": [exc.formatted]}, status=400)
    if invalid:
        return _json({"errors": [e.formatted for e in invalid]}, status=400)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise BadRequest(f"no operation named {operation_name!r}" if operation_name else
                         "the document holds several operations: name one in operationName")
    if operation.operation == OperationType.SUBSCRIPTION:
        raise BadRequest("a subscription needs a WebSocket: open /graphql with the "
                         "graphql-transport-ws protocol")
    if method == "GET" and operation.operation != OperationType.QUERY:
        raise MethodNotAllowed(f"a {operation.operation.value} must be sent with POST")
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if not isinstance(coerced, list):  # a list is of errors, which execute() reports
        limits.check(schema, document, operation, coerced, bounds)

    settings = request.app[SETTINGS]
    context = Context(pool=request.app[POOL], settings=settings, token=token)
    result = execute_query(schema, document, variable_values=variables,
                           operation_name=operation_name, context_value=context)
    if not isinstance(result, ExecutionResult):
        result = await result
    body: dict[str, Any] = {"data": result.data}
    errors = [format_error(e, statement_timeout_ms=settings.api_statement_timeout_ms)
              for e in [*(result.errors or ()), *context.notes]]
    if errors:
        body["errors"] = errors
    return _json(body)


async def _read_body(request: web.Request, limit: int) -> bytes:
    too_large = LimitExceeded("BODY_TOO_LARGE", f"the request body is larger than {limit} bytes",
                              status=413, limit=limit)
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
        token = await authenticate(request)
        raw = await _read_body(request, request.app[SETTINGS].api_max_body_bytes)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return await _run(request, token, body.get("query"), body.get("variables"),
                          body.get("operationName"), method="POST")
    except ApiError as exc:
        return _api_error(exc)


async def graphql_get(request: web.Request) -> web.StreamResponse:
    if ws.wants_websocket(request):
        return await ws.handle(request)
    if graphiql.wants_html(request):
        return await graphiql.page(request)
    try:
        token = await authenticate(request)
        variables = request.query.get("variables")
        try:
            parsed = orjson.loads(variables) if variables else None
        except orjson.JSONDecodeError:
            raise BadRequest("the `variables` parameter is not JSON") from None
        return await _run(request, token, request.query.get("query"), parsed,
                          request.query.get("operationName"), method="GET")
    except ApiError as exc:
        return _api_error(exc)


def add_routes(app: web.Application) -> None:
    app[SCHEMA] = load_schema()
    app.router.add_post("/graphql", graphql_post)
    app.router.add_get("/graphql", graphql_get)
    graphiql.add_routes(app)
    ws.add_routes(app)
