"""The GraphQL schema: SDL in schema.graphql, with the resolvers binding.py names for each field."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from aiohttp import web
from graphql import GraphQLObjectType, GraphQLScalarType, GraphQLSchema, build_schema

from graphql_api import subscriptions
from graphql_api.binding import RESOLVERS


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"DateTime cannot represent {value!r}")


def _parse_datetime(value: Any) -> datetime:
    """ISO 8601, with `T` or a space between date and time (the seed's form); UTC if no offset."""
    if not isinstance(value, str):
        raise TypeError(f"DateTime must be a string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime must be ISO 8601, like '2022-01-03 07:39:23.066994+00:00'; "
                         f"got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The schema in the API's aiohttp application state, for both transports (http.py, ws.py).
SCHEMA = web.AppKey("schema", GraphQLSchema)


def load_schema() -> GraphQLSchema:
    schema = build_schema((resources.files("graphql_api") / "schema.graphql").read_text())
    dt = schema.type_map["DateTime"]
    assert isinstance(dt, GraphQLScalarType)
    # graphql-core 3.3 reads the coerce_* functions; 3.2 read serialize and parse_value.
    dt.serialize = dt.coerce_output_value = _serialize_datetime  # type: ignore[method-assign]
    dt.parse_value = dt.coerce_input_value = _parse_datetime  # type: ignore[method-assign]
    for type_name, fields in RESOLVERS.items():
        gql_type = schema.type_map[type_name]
        assert isinstance(gql_type, GraphQLObjectType)
        for field_name, resolve in fields.items():
            gql_type.fields[field_name].resolve = resolve
    return subscriptions.bind(schema)
