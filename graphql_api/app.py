"""The aiohttp application: /graphql and /healthz."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from graphql import ExecutionResult, GraphQLError, GraphQLSchema, parse
from graphql import execute as execute_query
from graphql import validate as validate_query
from psycopg_pool import AsyncConnectionPool

from eye.settings import Settings
from graphql_api.schema import load_schema
from store import queries
from store.db import open_pool

POOL = web.AppKey("pool", AsyncConnectionPool)
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


async def healthz(request: web.Request) -> web.Response:
    try:
        await queries.ping(request.app[POOL])
    except Exception as exc:
        return web.json_response({"status": "down", "database": str(exc)}, status=503)
    return web.json_response({"status": "ok"})


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SCHEMA] = load_schema()

    async def pool_ctx(app: web.Application) -> Any:
        pool = await open_pool(settings.dsn)
        app[POOL] = pool
        yield
        await pool.close()

    app.cleanup_ctx.append(pool_ctx)
    app.router.add_post("/graphql", graphql_post)
    app.router.add_get("/graphql", graphql_get)
    app.router.add_get("/healthz", healthz)
    return app
