"""Fixtures come from per-area modules, so each test file sees the same real services."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.stack",
]
