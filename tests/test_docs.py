"""The documentation against the code: every shell and Python example in README.md and docs/
runs against the test stack, and the facts the docs state (settings and their defaults, the
SDK's signature, files named, the worker's partition count) are checked where they live.

An example is a fenced block whose info string is `sh runnable` or `python runnable`; one
that cannot run in a test says so with `not-run` and why, in the text beside it. The examples
use the defaults (broker 127.0.0.1:9092, API 127.0.0.1:8000, topic eye-events); the test points
them at this test's own broker, server and topic, and gives them $APP_KEY and $TOKEN.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import pytest_asyncio

from base.settings import Settings
from eye.sdk import event
from eye.server import listening
from tests.fixtures.processes import settings_env
from tests.fixtures.stack import WorkerProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)([^\n]*)\n(.*?)^```", re.M | re.S)
EXAMPLE_LANGUAGES = {"sh", "python", "graphql"}


@dataclass(frozen=True)
class Block:
    where: str
    language: str
    tags: frozenset[str]
    code: str


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(Block(f"{doc.relative_to(ROOT)}:{line}", m.group(1),
                               frozenset(m.group(2).split()), m.group(3)))
    return found


RUNNABLE = [b for b in blocks() if "runnable" in b.tags]


def test_every_example_runs_or_says_it_does_not() -> None:
    unmarked = [b.where for b in blocks() if b.language in EXAMPLE_LANGUAGES
                and not b.tags & {"runnable", "not-run"}]
    assert not unmarked, f"mark these `runnable` (this file runs them) or `not-run`: {unmarked}"
    assert {b.language for b in RUNNABLE} <= EXAMPLE_LANGUAGES


@pytest_asyncio.fixture
async def stack(topics: Settings, app_key: str, admin_token: str
                ) -> AsyncIterator[tuple[Settings, dict[str, str]]]:
    served = topics.model_copy(update={"api_port": free_port()})
    async with listening(served):
        env = {**os.environ, **settings_env(served), "APP_KEY": app_key, "TOKEN": admin_token}
        yield served, env


def pointed(code: str, settings: Settings) -> str:
    """The example as written, aimed at this test's broker, API and topic."""
    return (code.replace("127.0.0.1:9092", settings.kafka_bootstrap)
            .replace("127.0.0.1:8000", f"127.0.0.1:{settings.api_port}")
            .replace("eye-events", settings.topic))


# Any HTTP error fails the example, as a non-zero exit does.
SH_PRELUDE = "set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n"
# The example is compiled on its own (a `from __future__` import must come first in it); the
# names it is given are builtins.
PY_RUNNER = ("import builtins, os, sys\n"
             "builtins.APP_KEY, builtins.TOKEN = os.environ['APP_KEY'], os.environ['TOKEN']\n"
             "exec(compile(sys.argv[1], 'example', 'exec'), {'__name__': '__main__'})\n")


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.where for b in RUNNABLE])
async def test_the_example_runs(block: Block, stack: tuple[Settings, dict[str, str]]) -> None:
    settings, env = stack
    code = pointed(block.code, settings)
    if block.language == "sh":
        argv = ["bash", "-c", SH_PRELUDE + code]
    else:
        argv = [str(ROOT / ".venv" / "bin" / "python"), "-c", PY_RUNNER, code]
    proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, f"{block.where} exited {proc.returncode}:\n{out.decode()}"
    assert b'"errors"' not in out, f"{block.where} answered errors:\n{out.decode()}"


# ---- Facts ----------------------------------------------------------------------------------


def _documented_settings() -> dict[str, str]:
    rows = re.findall(r"^\| `(EYE_[A-Z_]+)` \| `([^`]*)` \|", (ROOT / "docs" / "settings.md")
                      .read_text(), re.M)
    return dict(rows)


def _default(name: str) -> str:
    if name == "database_url":
        return Settings().dsn
    value = getattr(Settings(), name)
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))  # the docs give durations in seconds
    return str(value)


def test_every_setting_is_in_docs_settings_md_with_its_default() -> None:
    documented = _documented_settings()
    expected = {f"EYE_{n.upper()}": _default(n) for n in Settings.model_fields}
    missing = {k: v for k, v in expected.items() if k not in documented}
    assert not missing, f"add rows to docs/settings.md: {missing}"
    wrong = {k: (documented[k], v) for k, v in expected.items() if documented[k] != v}
    assert not wrong, f"docs/settings.md gives other defaults (documented, actual): {wrong}"
    assert not set(documented) - set(expected), "docs/settings.md lists settings that are gone"


def test_the_sdk_event_signature_is_the_documented_one() -> None:
    params = []
    for p in inspect.signature(event).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        params.append(p.name if p.default is p.empty else f"{p.name}={p.default}")
    assert f"`event({', '.join(params)})`" in (ROOT / "docs" / "ingest.md").read_text()


def test_every_file_the_docs_name_exists() -> None:
    named = set()
    for doc in DOCS:
        named |= set(re.findall(
            r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|sql|yml|json|graphql|md|js|xml|sh))`", doc.read_text()))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, missing


def test_the_workers_assigned_partitions_are_as_docs_operations_md_explains(
        settings: Settings, tmp_path: Path) -> None:
    from kafka_edge.topics import ensure_topics

    twelve = settings.model_copy(update={"topic_partitions": 12})
    ensure_topics(twelve)
    worker = WorkerProcess(twelve, tmp_path / "worker.log")
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            url = f"http://127.0.0.1:{twelve.worker_port}/healthz"
            with urllib.request.urlopen(url, timeout=5) as r:
                health = orjson.loads(r.read())
            if (not health["rebalancing"] and health["assigned_partitions"] >= 37) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        worker.stop()
    assert health["assigned_partitions"] == 3 * 12 + 1
    text = (ROOT / "docs" / "operations.md").read_text()
    assert "3 × `EYE_TOPIC_PARTITIONS` + 1" in text and "37" in text
