"""The built-in event types (validators/types/page.py and form.py) as seen through validate()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from validators import Event, Reason, Rejection

Run = Callable[..., Event | Rejection]

VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("page interaction", "pageview"): {"host": "www.example.com", "path": "/"},
    ("page interaction", "cta click"): {"host": "www.example.com", "path": "/", "element": "signup-button"},
    ("form interaction", "submit"): {
        "host": "www.example.com",
        "path": "/signup",
        "form": {"email": "a@example.com", "plan": "pro", "newsletter": True, "seats": 3},
    },
}

CASES = [(category, name, field) for (category, name), data in VALID.items() for field in data]


def event(seed: dict[str, Any], category: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    seed.update(category=category, name=name, data=data)
    return seed


@pytest.mark.parametrize(("category", "name"), list(VALID))
def test_valid_data_validates(run: Run, seed: dict[str, Any], category: str, name: str) -> None:
    result = run(event(seed, category, name, dict(VALID[(category, name)])))
    assert isinstance(result, Event)
    assert result.data == VALID[(category, name)]


@pytest.mark.parametrize(("category", "name"), list(VALID))
def test_extra_data_fields_are_kept(run: Run, seed: dict[str, Any], category: str, name: str) -> None:
    data = {**VALID[(category, name)], "referrer": "https://example.org/", "ab": {"variant": "b"}, "n": 1.5}
    result = run(event(seed, category, name, data))
    assert isinstance(result, Event)
    assert result.data == data


@pytest.mark.parametrize(("category", "name", "field"), CASES)
def test_each_required_field_missing(run: Run, seed: dict[str, Any], category: str, name: str, field: str) -> None:
    data = dict(VALID[(category, name)])
    del data[field]
    result = run(event(seed, category, name, data))
    assert result == Rejection(Reason.MISSING_FIELD, f"data.{field}: required field missing ({category}/{name})")


@pytest.mark.parametrize(("category", "name", "field"), CASES)
def test_each_required_field_wrong_type(run: Run, seed: dict[str, Any], category: str, name: str, field: str) -> None:
    data = dict(VALID[(category, name)])
    data[field] = 42
    result = run(event(seed, category, name, data))
    expected = "an object" if field == "form" else "a string"
    assert result == Rejection(Reason.INVALID_FIELD, f"data.{field}: must be {expected}, got number ({category}/{name})")


@pytest.mark.parametrize("value", [None, ["a"], "email=a"])
def test_form_must_be_an_object(run: Run, seed: dict[str, Any], value: object) -> None:
    data = {**VALID[("form interaction", "submit")], "form": value}
    result = run(event(seed, "form interaction", "submit", data))
    assert isinstance(result, Rejection) and result.reason is Reason.INVALID_FIELD
    assert result.detail.startswith("data.form: must be an object, got ")


def test_form_values_may_be_any_json(run: Run, seed: dict[str, Any]) -> None:
    form = {"a": None, "b": [1, {"c": "d"}], "e": {}, "f": False, "g": -0.5}
    data = {**VALID[("form interaction", "submit")], "form": form}
    result = run(event(seed, "form interaction", "submit", data))
    assert isinstance(result, Event) and result.data["form"] == form


def test_empty_form_is_allowed(run: Run, seed: dict[str, Any]) -> None:
    data = {**VALID[("form interaction", "submit")], "form": {}}
    assert isinstance(run(event(seed, "form interaction", "submit", data)), Event)


def test_strings_are_not_coerced(run: Run, seed: dict[str, Any]) -> None:
    data = {"host": "www.example.com", "path": True}
    result = run(event(seed, "page interaction", "pageview", data))
    assert result == Rejection(Reason.INVALID_FIELD, "data.path: must be a string, got boolean (page interaction/pageview)")
