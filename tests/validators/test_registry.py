from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from validators import Event, EventType, Policy, Reason, Rejection, registry
from validators.registry import RegisteredType, Registry

Run = Callable[..., Event | Rejection]


@pytest.fixture
def cleanup() -> Iterator[list[tuple[str, str]]]:
    """Types a test registers on the shared registry, removed afterwards."""
    added: list[tuple[str, str]] = []
    yield added
    for category, name in added:
        registry.remove(category, name)


def test_built_in_types_are_registered() -> None:
    assert {(t.category, t.name, t.version) for t in registry} >= {
        ("page interaction", "pageview", 1),
        ("page interaction", "cta click", 1),
        ("form interaction", "submit", 1),
    }
    pageview = registry.get("page interaction", "pageview")
    assert pageview is not None and pageview.label == "page interaction/pageview"
    assert registry.get("page interaction", "nope") is None


def test_schemas_are_served_in_a_stable_order() -> None:
    schemas = registry.schemas()
    assert len(schemas) == len(registry)
    assert [(s["category"], s["name"]) for s in schemas] == sorted((s["category"], s["name"]) for s in schemas)
    for entry in schemas:
        assert set(entry) == {"category", "name", "version", "schema"}
        assert entry["schema"]["type"] == "object"
        assert entry["schema"]["additionalProperties"] is True


def test_schema_lists_required_fields_with_descriptions() -> None:
    by_type = {(s["category"], s["name"]): s["schema"] for s in registry.schemas()}
    click = by_type[("page interaction", "cta click")]
    assert click["required"] == ["host", "path", "element"]
    assert all(prop["type"] == "string" and prop["description"] for prop in click["properties"].values())
    submit = by_type[("form interaction", "submit")]
    assert submit["required"] == ["host", "path", "form"]
    assert submit["properties"]["form"]["type"] == "object"


def test_a_new_type_is_one_subclass(run: Run, seed: dict[str, Any], cleanup: list[tuple[str, str]]) -> None:
    class Scroll(EventType, category="page interaction", name="scroll", version=2):
        """A visitor scrolled."""

        percent: int

    cleanup.append(("page interaction", "scroll"))
    registered = registry.get("page interaction", "scroll")
    assert registered == RegisteredType("page interaction", "scroll", 2, Scroll)
    assert any(s["name"] == "scroll" and s["version"] == 2 for s in registry.schemas())

    seed["name"] = "scroll"
    seed["data"] = {"percent": 50}
    assert isinstance(run(seed), Event)
    seed["data"] = {"percent": "50"}
    result = run(seed)
    assert result == Rejection(Reason.INVALID_FIELD, "data.percent: must be an integer, got string (page interaction/scroll)")


def test_duplicate_registration_fails_at_import_time() -> None:
    with pytest.raises(ValueError, match="already registered"):

        class Again(EventType, category="page interaction", name="pageview", version=2):
            host: str


def test_subclass_without_identity_is_a_shared_base(cleanup: list[tuple[str, str]]) -> None:
    before = len(registry)

    class Located(EventType):
        host: str

    assert len(registry) == before

    class Visit(Located, category="test", name="visit", version=1):
        pass

    cleanup.append(("test", "visit"))
    visit = registry.get("test", "visit")
    assert visit is not None and visit.model is Visit
    assert Visit.model_json_schema()["required"] == ["host"]


@pytest.mark.parametrize(
    "identity",
    [
        {"category": "test", "name": "partial"},
        {"category": "", "name": "x", "version": 1},
        {"category": "test", "name": "x", "version": 0},
        {"category": "test", "name": "x", "version": True},
    ],
)
def test_incomplete_identity_is_an_error(identity: dict[str, Any]) -> None:
    before = len(registry)
    with pytest.raises(TypeError):
        type("Broken", (EventType,), {}, **identity)
    assert len(registry) == before


def test_separate_registries_do_not_share_types() -> None:
    other = Registry()
    assert len(other) == 0 and other.schemas() == []


def test_unknown_type_accepted_or_rejected_by_policy(run: Run, seed: dict[str, Any]) -> None:
    seed["category"] = "video"
    seed["name"] = "play"
    seed["data"] = {"anything": ["goes"]}
    result = run(seed)
    assert isinstance(result, Event) and result.data == {"anything": ["goes"]}
    result = run(seed, Policy(unknown_event_types="reject"))
    assert result == Rejection(Reason.UNKNOWN_EVENT_TYPE, 'category/name: no event type "video"/"play" is registered')


def test_registered_types_pass_when_unknown_types_are_rejected(run: Run, seed: dict[str, Any]) -> None:
    assert isinstance(run(seed, Policy(unknown_event_types="reject")), Event)


def test_type_lookup_is_exact(run: Run, seed: dict[str, Any]) -> None:
    seed["name"] = "PageView"
    result = run(seed, Policy(unknown_event_types="reject"))
    assert isinstance(result, Rejection) and result.reason is Reason.UNKNOWN_EVENT_TYPE
