"""GraphQL over HTTP: the /graphql routes."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from graphql import ExecutionResult, GraphQLError, GraphQLSchema, parse
from graphql import execute as execute_query
from graphql import validate as validate_query

from eye.web import POOL
from graphql_api.schema import load_schema

SCHEMA = web.AppKey("schema", GraphQLSchema)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def _run(request: web.Request, query: str | None, variables: Any,
               operation: str | None) -> web.Response:
    if not query:
        return web.json_response({"errors": [{"message": "no query given"}]}, status=400)
    schema = request.app[SCHEMA]
    try:
        document = parse(query)
    except GraphQLError as exc:
        return web.json_response({"errors": [exc.formatted]}, status=400, dumps=_dumps)
    errors = validate_query(schema, document)
    if errors:
        return web.json_response({"errors": [e.formatted for e in errors]}, status=400,
                                 dumps=_dumps)
    result = execute_query(schema, document, variable_values=variables, operation_name=operation,
                           context_value={"pool": request.app[POOL]})
    if not isinstance(result, ExecutionResult):
        result = await result
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return web.json_response(body, dumps=_dumps)


async def graphql_post(request: web.Request) -> web.Response:
    try:
        body = await request.json(loads=orjson.loads)
    except ValueError:
        return web.json_response({"errors": [{"message": "body is not JSON"}]}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"errors": [{"message": "body must be a JSON object"}]},
                                 status=400)
    return await _run(request, body.get("query"), body.get("variables"),
                      body.get("operationName"))


async def graphql_get(request: web.Request) -> web.Response:
    variables = request.query.get("variables")
    return await _run(request, request.query.get("query"),
                      orjson.loads(variables) if variables else None,
                      request.query.get("operationName"))


def add_routes(app: web.Application) -> None:
    app[SCHEMA] = load_schema()
    app.router.add_post("/graphql", graphql_post)
    app.router.add_get("/graphql", graphql_get)
