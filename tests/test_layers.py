"""Every import points down a layer (docs/architecture.md): a module may import its own package
and the packages of the layers below its own, never one beside it or above it. Kafka's client
library is imported in kafka_edge/ only, psycopg in store/ only, Faust in streams/ only.

Read from the source with `ast`, imports inside functions and under TYPE_CHECKING included:
a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top first. Packages of one layer stand beside each other and do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("eye",),  # the CLI, the SDK and the wiring of the processes
    ("streams", "graphql_api", "collector", "monitor", "pages"),  # the areas
    ("kafka_edge", "store"),  # the edges: Kafka and PostgreSQL
    ("base",),  # settings, the root error, waits, caches
    ("validators",),  # pure: bytes in, an Event or a Rejection out
]

# Third-party libraries that one package alone may import: the edges are the only doors.
ONLY_IN = {"confluent_kafka": "kafka_edge", "psycopg": "store", "psycopg_pool": "store",
           "faust": "streams", "aiokafka": "streams"}

LEVEL = {package: i for i, layer in enumerate(LAYERS) for package in layer}


def imported(source: str) -> list[tuple[int, str]]:
    """(line, top-level name) of every absolute import in `source`."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module.split(".")[0]))
    return out


def violations(package: str, where: str, source: str) -> list[str]:
    """What in one module of `package` breaks the layering."""
    found = []
    for line, name in imported(source):
        owner = ONLY_IN.get(name)
        if owner is not None and owner != package:
            found.append(f"{where}:{line} imports {name}, which only {owner}/ may import")
        if name == package or name not in LEVEL:
            continue
        if LEVEL[name] <= LEVEL[package]:
            side = "beside" if LEVEL[name] == LEVEL[package] else "above"
            found.append(f"{where}:{line} imports {name}/, a layer {side} {package}/")
    return found


def modules() -> list[tuple[str, Path]]:
    return [(package, path) for package in LEVEL
            for path in sorted((ROOT / package).rglob("*.py"))]


def test_every_package_of_the_product_has_a_layer() -> None:
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert found - {"tests", "bench"} == set(LEVEL)


def test_every_package_is_installed_and_in_the_image() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in LEVEL:
        assert f'"{package}*"' in pyproject, package
        assert f"COPY {package} {package}\n" in dockerfile, package


def test_every_import_points_down() -> None:
    found = [v for package, path in modules()
             for v in violations(package, str(path.relative_to(ROOT)), path.read_text())]
    assert found == []


@pytest.mark.parametrize(("package", "source", "expected"), [
    ("store", "from graphql_api.errors import ApiError", "a layer above store/"),
    ("base", "def f():\n    from eye import cli", "a layer above base/"),
    ("streams", "import pages.views", "a layer beside streams/"),
    ("kafka_edge", "from store.db import POOL", "a layer beside kafka_edge/"),
    ("graphql_api", "from psycopg import Error", "only store/ may import"),
    ("collector", "from confluent_kafka import Producer", "only kafka_edge/ may import"),
])
def test_a_wrong_import_is_caught(package: str, source: str, expected: str) -> None:
    found = violations(package, f"{package}/x.py", source)
    assert len(found) == 1 and expected in found[0]


def test_imports_down_and_within_are_allowed() -> None:
    assert violations("streams", "streams/x.py", "from store.rows import Batch\n"
                      "from kafka_edge.clients import reader\nfrom streams import to_rows\n"
                      "import faust\nfrom base.settings import Settings\n"
                      "from validators import Event") == []
