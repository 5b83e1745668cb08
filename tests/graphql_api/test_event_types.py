"""eventTypes: the registry's types with the JSON Schema of their data."""

from __future__ import annotations

from tests.graphql_api.conftest import Gql
from validators import registry


async def test_event_types_are_the_registry_s(database: str, gql: Gql) -> None:
    types = (await gql("{ eventTypes { category name version schema } }"))["data"]["eventTypes"]
    assert types == registry.schemas()
    assert {("page interaction", "pageview")} <= {(t["category"], t["name"]) for t in types}
    pageview = next(t for t in types if t["name"] == "pageview")
    assert "path" in pageview["schema"]["properties"]
