"""Bounds on a GraphQL request before it runs: tokens, depth, aliases, cost and statements.

They are measured on a document that passed validation, so its fields exist and its fragments
neither are missing nor form cycles. One walk over the chosen operation, with its fragments
spread, measures them all; it stops once it has seen api_max_cost fields, so a document whose
fragments multiply (each spreading the next twice) costs no more to refuse than to accept.

Introspection counts like any other field: `__schema` and `__type` nest and take aliases, and
their cost is the exact number of objects their answer holds (introspection.py), bounded on its
own (api_max_introspection_objects) well below the cost bound: the introspection query GraphiQL
sends holds 617 objects, twenty aliases of it 12,340.
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
    GraphQLField,
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
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from graphql.utilities import value_from_ast_untyped

from graphql_api import introspection
from graphql_api.errors import LimitExceeded


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_cost: int
    page_default: int
    page_max: int
    list_max: int
    max_aliases: int = 20
    max_statements: int = 20
    max_introspection: int = 2000
    light_max_statements: int = 2
    light_max_cost: int = 1100


@dataclass(frozen=True, slots=True)
class Measure:
    """What the walk found: the deepest nesting, aliases, objects, database statements, and
    whether the operation only asks about the schema (no field a resolver of ours answers);
    `aggregates` counts the statements that read a whole range (@statement(aggregate: true))."""

    depth: int
    aliases: int
    cost: int
    statements: int
    schema_only: bool
    aggregates: int = 0


def is_light(measure: Measure, limits: Limits) -> bool:
    """A request the connections heavy ones may not hold are for: no aggregate, at most
    light_max_statements statements and light_max_cost objects (a session and its events, a
    page of events). The others are heavy: they share the rest of the pool."""
    return (measure.aggregates == 0 and measure.statements <= limits.light_max_statements
            and measure.cost <= limits.light_max_cost)


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


def _directive_args(field_def: Any, name: str) -> dict[str, Any] | None:
    """The arguments of the field definition's directive `name`, or None without it."""
    node = field_def.ast_node
    for directive in (node.directives or () if node else ()):
        if directive.name.value == name:
            return {a.name.value: value_from_ast_untyped(a.value)
                    for a in directive.arguments or ()}
    return None


def _given(args: dict[str, Any], paths: Any) -> bool:
    """Whether any of the dotted `paths` (`filter.sessionId`) names an argument given."""
    for path in paths:
        value: Any = args
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return True
    return False


def _field_def(parent: GraphQLObjectType, name: str) -> GraphQLField:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    return parent.fields[name]


def measure(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
            variables: VariableValues | None, limits: Limits) -> Measure:
    """Measure the operation; raise LimitExceeded for the first bound it passes, in the order
    depth, aliases, introspection objects, cost, statements."""
    fragments = _fragments(document)
    # Counters shared by the whole walk.
    found = {"depth": 0, "aliases": 0, "cost": 0, "statements": 0, "fields": 0,
             "aggregates": 0}
    schema_only = True

    # Objects of introspection answers: each counted exactly, up to what is left of the bound.
    schema_objects = 0

    def walk(parent: GraphQLObjectType, selection_set: SelectionSetNode, multiplier: int,
             sized: tuple[list[str], int], level: int, inside_schema: bool, via: str = ""
             ) -> None:
        """`via` names the field that returned the `parent` objects."""
        nonlocal schema_only, schema_objects
        for sel in selection_set.selections:
            if isinstance(sel, InlineFragmentNode):
                on = schema.type_map[sel.type_condition.name.value] if sel.type_condition else parent
                walk(on, sel.selection_set, multiplier, sized, level,  # type: ignore[arg-type]
                     inside_schema, via)
                continue
            if isinstance(sel, FragmentSpreadNode):
                frag = fragments[sel.name.value]
                on = schema.type_map[frag.type_condition.name.value]
                walk(on, frag.selection_set, multiplier, sized, level,  # type: ignore[arg-type]
                     inside_schema, via)
                continue
            assert isinstance(sel, FieldNode)
            found["fields"] += 1
            if found["fields"] > limits.max_cost:
                # The walk's own bound: fragments that each spread the next twice would
                # otherwise take it time exponential in the document's size.
                raise LimitExceeded("MAX_COST_EXCEEDED",
                                    f"the query holds more than {limits.max_cost} fields once "
                                    "its fragments are spread", limit=limits.max_cost)
            found["depth"] = max(found["depth"], level)
            if sel.alias is not None:
                found["aliases"] += 1
            name = sel.name.value
            field_def = _field_def(parent, name)
            named = get_named_type(field_def.type)
            if name in ("__schema", "__type"):
                walk(named, sel.selection_set, 1, ([], 0), level + 1,  # type: ignore[arg-type]
                     inside_schema=True)
                left = max(limits.max_introspection - schema_objects, 0)
                n = introspection.count(schema, name, get_argument_values(field_def, sel, variables),
                                        sel, fragments, left)
                schema_objects += n
                found["cost"] += n
                continue
            if inside_schema or name == "__typename":
                if sel.selection_set is not None:
                    walk(named, sel.selection_set, 1, ([], 0), level + 1,  # type: ignore[arg-type]
                         inside_schema=True)
                continue
            schema_only = False
            statement = _directive_args(field_def, "statement")
            if statement is not None and via not in (statement.get("prefetchedBy") or ()):
                found["statements"] += multiplier
                if statement.get("aggregate") or _given(
                        get_argument_values(field_def, sel, variables),
                        statement.get("aggregateWith") or ()):
                    found["aggregates"] += multiplier
            spec = _directive_args(field_def, "listSize") or {}
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
            if is_composite_type(named):
                found["cost"] += count
            if sel.selection_set is not None and isinstance(named, GraphQLObjectType):
                inner = (spec.get("sizedFields") or [], slice_size or 0)
                walk(named, sel.selection_set, count, inner, level + 1, False, name)

    root = schema.get_root_type(operation.operation)
    assert root is not None  # validation has checked that the schema has this operation type
    walk(root, operation.selection_set, 1, ([], 0), 1, inside_schema=False)
    if found["depth"] > limits.max_depth:
        raise LimitExceeded("MAX_DEPTH_EXCEEDED", f"the query nests fields {found['depth']} deep; "
                            f"the limit is {limits.max_depth}", depth=found["depth"],
                            limit=limits.max_depth)
    if found["aliases"] > limits.max_aliases:
        raise LimitExceeded("MAX_ALIASES_EXCEEDED",
                            f"the query holds {found['aliases']} aliased fields (counted where "
                            f"fragments are spread); the limit is {limits.max_aliases}",
                            aliases=found["aliases"], limit=limits.max_aliases)
    if schema_objects > limits.max_introspection:
        # Executed in a thread, an introspection answer still competes for the interpreter
        # with the event loop: this bound, not the cost bound, keeps that short.
        raise LimitExceeded("MAX_INTROSPECTION_EXCEEDED",
                            f"the introspection answer would hold more than "
                            f"{limits.max_introspection} objects; ask for fewer levels of types "
                            "and fields, or fewer aliases of them", limit=limits.max_introspection)
    if found["cost"] > limits.max_cost:
        raise LimitExceeded("MAX_COST_EXCEEDED",
                            f"the query may produce {found['cost']} objects (page sizes multiplied "
                            f"through nesting); the limit is {limits.max_cost}: ask for smaller "
                            "pages or nest fewer lists", cost=found["cost"], limit=limits.max_cost)
    if found["statements"] > limits.max_statements:
        raise LimitExceeded("MAX_STATEMENTS_EXCEEDED",
                            f"the query may run {found['statements']} database statements (one "
                            "per field that reads the database, times the objects it is asked "
                            f"on); the limit is {limits.max_statements}: ask for fewer such fields "
                            "or smaller pages", statements=found["statements"],
                            limit=limits.max_statements)
    return Measure(depth=found["depth"], aliases=found["aliases"], cost=found["cost"],
                   statements=found["statements"], schema_only=schema_only,
                   aggregates=found["aggregates"])


def check(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
          variables: VariableValues | None, limits: Limits) -> Measure:
    """Raise LimitExceeded when the operation is deeper, costlier or more aliased than allowed,
    or may run more database statements; else what it measured."""
    return measure(schema, document, operation, variables, limits)
