"""How many objects an introspection field (`__schema`, `__type`) will answer with, counted
exactly on the schema before it runs, and its answer computed away from the event loop.

An introspection answer is the schema itself, walked: its size depends on which types and fields
a selection re-enters (`fields { type { fields …`), not on page sizes, so the cost bound walks
the same objects the executor would, stopping once the count passes what is left of the budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    execute,
    is_abstract_type,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_object_type,
    is_wrapping_type,
    parse,
)

_ROOT_TYPES = {"queryType": "query_type", "mutationType": "mutation_type",
               "subscriptionType": "subscription_type"}


def _items(schema: GraphQLSchema, obj: Any, name: str) -> Iterable[Any]:
    """The objects that field `name` of introspection object `obj` yields; none for leaves."""
    if name == "types":
        return schema.type_map.values()
    if name in _ROOT_TYPES:
        root = getattr(schema, _ROOT_TYPES[name])
        return () if root is None else (root,)
    if name == "directives":
        return schema.directives
    if name == "fields":
        return obj.fields.values() if is_object_type(obj) or is_interface_type(obj) else ()
    if name == "inputFields":
        return obj.fields.values() if is_input_object_type(obj) else ()
    if name == "interfaces":
        return obj.interfaces if is_object_type(obj) or is_interface_type(obj) else ()
    if name == "possibleTypes":
        return schema.get_possible_types(obj) if is_abstract_type(obj) else ()
    if name == "enumValues":
        return obj.values.values() if is_enum_type(obj) else ()
    if name == "ofType":
        return (obj.of_type,) if is_wrapping_type(obj) else ()
    if name == "args":
        return obj.args.values()
    if name == "type":
        return (obj.type,)
    return ()


class _Over(Exception):
    pass


def count(schema: GraphQLSchema, root_field: str, args: dict[str, Any], node: FieldNode,
          fragments: dict[str, FragmentDefinitionNode], budget: int) -> int:
    """Objects in the answer of `node` (a `__schema` or `__type` field), or `budget + 1` as soon
    as there are more than `budget`."""
    total = 0

    def walk(obj: Any, selection_set: SelectionSetNode) -> None:
        nonlocal total
        for sel in selection_set.selections:
            if isinstance(sel, InlineFragmentNode):
                walk(obj, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                walk(obj, fragments[sel.name.value].selection_set)
            elif isinstance(sel, FieldNode) and sel.selection_set is not None:
                for item in _items(schema, obj, sel.name.value):
                    total += 1
                    if total > budget:
                        raise _Over
                    walk(item, sel.selection_set)

    if root_field == "__schema":
        top: Any = schema
    else:
        top = schema.type_map.get(args.get("name") or "")
        if top is None:
            return 0
    try:
        total = 1
        if total > budget:
            raise _Over
        assert node.selection_set is not None  # validation: an object field has a selection
        walk(top, node.selection_set)
    except _Over:
        return budget + 1
    return total


@lru_cache(maxsize=64)
def _answer(schema: GraphQLSchema, query: str, operation_name: str | None, variables: bytes
            ) -> bytes:
    # Keyed by the text: a document node hashes by walking all of it.
    result = execute(schema, parse(query), operation_name=operation_name,
                     variable_values=orjson.loads(variables))
    assert isinstance(result, ExecutionResult)  # introspection resolvers are not async
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return orjson.dumps(body)


async def answer(schema: GraphQLSchema, query: str, operation_name: str | None,
                 variables: dict[str, Any] | None) -> bytes:
    """The serialized answer of an operation that only asks about the schema. It depends on
    nothing else, so it is kept for the next client asking the same; it is computed in a
    thread, so a large one does not hold up other requests."""
    key = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    return await asyncio.to_thread(_answer, schema, query, operation_name, key)
