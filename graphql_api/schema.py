"""The GraphQL schema: SDL in schema.graphql, resolvers bound here by type and field name."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from graphql import GraphQLScalarType, GraphQLSchema, build_schema

from graphql_api.resolvers import RESOLVERS


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"DateTime cannot represent {value!r}")


def _parse_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def load_schema() -> GraphQLSchema:
    schema = build_schema((resources.files("graphql_api") / "schema.graphql").read_text())
    dt = schema.type_map["DateTime"]
    assert isinstance(dt, GraphQLScalarType)
    dt.serialize = _serialize_datetime  # type: ignore[method-assign]
    dt.parse_value = _parse_datetime  # type: ignore[method-assign]
    for type_name, fields in RESOLVERS.items():
        gql_type = schema.type_map[type_name]
        for field_name, resolve in fields.items():
            gql_type.fields[field_name].resolve = resolve  # type: ignore[attr-defined]
    return schema
