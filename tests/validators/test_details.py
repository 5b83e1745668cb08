from __future__ import annotations

import pytest

from validators.details import field_path, json_type, quoted, snippet


@pytest.mark.parametrize(
    ("value", "name"),
    [(None, "null"), (True, "boolean"), (1, "number"), (1.5, "number"), ("", "string"), ([], "array"), ({}, "object")],
)
def test_json_type(value: object, name: str) -> None:
    assert json_type(value) == name


def test_field_path() -> None:
    path = field_path(field_path(field_path("", "data"), "items"), 3)
    assert field_path(path, "sku") == "data.items[3].sku"


def test_snippet_spells_out_nul_and_caps_length() -> None:
    assert snippet("a\x00b") == "a\\u0000b"
    assert len(snippet("x" * 1000)) == 65
    assert quoted("abc") == '"abc"'
