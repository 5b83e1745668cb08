"""Bounds on a GraphQL request before it runs: tokens, depth and cost of the chosen operation.

Depth and cost are measured on a document that passed validation, so its fields exist and its
fragments neither are missing nor form cycles. Introspection (`__schema`, `__type`,
`__typename`) is left out of both: its size is bounded by the schema's, and GraphiQL needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.utilities import value_from_ast_untyped

from graphql_api.errors import LimitExceeded


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_cost: int
    page_default: int
    page_max: int
    list_max: int


def parse_bounded(query: str, max_tokens: int) -> DocumentNode:
    """Parse `query`, refusing documents of more than `max_tokens` lexical tokens."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError as exc:
        if "tokens. Parsing aborted" in exc.message:
            raise LimitExceeded("MAX_TOKENS_EXCEEDED",
                                f"the query has more than {max_tokens} tokens, the most this "
                                "server parses", limit=max_tokens) from None
        raise


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def depth(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """Levels of nested fields in `operation`: `{ a { b } }` is 2."""
    fragments = _fragments(document)

    def walk(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if not sel.name.value.startswith("__"):
                    deepest = max(deepest, 1 + walk(sel.selection_set))
            elif isinstance(sel, InlineFragmentNode):
                deepest = max(deepest, walk(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode):
                deepest = max(deepest, walk(fragments[sel.name.value].selection_set))
        return deepest

    return walk(operation.selection_set)


def _list_size(field_def: Any) -> dict[str, Any]:
    """The arguments of the field's @listSize directive, or {}."""
    node = field_def.ast_node
    for directive in (node.directives or () if node else ()):
        if directive.name.value == "listSize":
            return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments}
    return {}


def cost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
         variables: VariableValues | None, limits: Limits) -> int:
    """How many objects the operation may produce: every object or list item counts one, and
    a list's size (its `first`/`limit`, else its assumed size) multiplies what is below it."""
    fragments = _fragments(document)

    def walk(parent: GraphQLObjectType, selection_set: SelectionSetNode, multiplier: int,
             sized: tuple[list[str], int]) -> int:
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, InlineFragmentNode):
                on = schema.type_map[sel.type_condition.name.value] if sel.type_condition else parent
                total += walk(on, sel.selection_set, multiplier, sized)  # type: ignore[arg-type]
                continue
            if isinstance(sel, FragmentSpreadNode):
                frag = fragments[sel.name.value]
                on = schema.type_map[frag.type_condition.name.value]
                total += walk(on, frag.selection_set, multiplier, sized)  # type: ignore[arg-type]
                continue
            assert isinstance(sel, FieldNode)
            name = sel.name.value
            if name.startswith("__"):
                continue
            field_def = parent.fields[name]
            spec = _list_size(field_def)
            slice_size = None
            for arg in spec.get("slicingArguments") or ():
                given = get_argument_values(field_def, sel, variables).get(arg)
                slice_size = min(limits.page_default if given is None else max(given, 0),
                                 limits.page_max)
                break
            if name in sized[0]:
                count = multiplier * sized[1]
            elif spec.get("sizedFields"):
                count = multiplier
            elif is_list_type(get_nullable_type(field_def.type)):
                size = slice_size if slice_size is not None else spec.get("assumedSize")
                count = multiplier * (limits.list_max if size is None else size)
            else:
                count = multiplier
            named = get_named_type(field_def.type)
            if is_composite_type(named):
                total += count
            if sel.selection_set is not None and isinstance(named, GraphQLObjectType):
                inner = (spec.get("sizedFields") or [], slice_size or 0)
                total += walk(named, sel.selection_set, count, inner)
        return total

    root = schema.get_root_type(operation.operation)
    assert root is not None  # validation has checked that the schema has this operation type
    return walk(root, operation.selection_set, 1, ([], 0))


def check(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
          variables: VariableValues | None, limits: Limits) -> None:
    """Raise LimitExceeded when the operation is deeper or costlier than allowed."""
    d = depth(document, operation)
    if d > limits.max_depth:
        raise LimitExceeded("MAX_DEPTH_EXCEEDED",
                            f"the query nests fields {d} deep; the limit is {limits.max_depth}",
                            depth=d, limit=limits.max_depth)
    c = cost(schema, document, operation, variables, limits)
    if c > limits.max_cost:
        raise LimitExceeded("MAX_COST_EXCEEDED",
                            f"the query may produce {c} objects (page sizes multiplied through "
                            f"nesting); the limit is {limits.max_cost}: ask for smaller pages "
                            "or nest fewer lists", cost=c, limit=limits.max_cost)
