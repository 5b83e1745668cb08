"""The GraphQL over HTTP audit suite (npm graphql-http's serverAudits) against the API: every
MUST and SHOULD audit passes."""

from __future__ import annotations

import asyncio
import os
import subprocess

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.fixtures.services import ROOT

AUDIT_DIR = ROOT / ".cache" / "graphql-http"


@pytest.fixture(scope="session")
def graphql_http() -> str:
    """node_modules holding graphql-http, installed by the script `make test` runs if missing."""
    proc = subprocess.run([str(ROOT / "scripts" / "graphql-http.sh"), str(AUDIT_DIR)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"scripts/graphql-http.sh failed:\n{proc.stdout}\n{proc.stderr}",
                    pytrace=False)
    return str(AUDIT_DIR / "node_modules")


async def test_the_graphql_over_http_audits_pass(api: TestClient, api_token: str,
                                                 graphql_http: str) -> None:
    # The server runs in this event loop: node must run beside it, not block it.
    proc = await asyncio.create_subprocess_exec(
        "node", str(ROOT / "scripts" / "graphql-http-audit.cjs"), str(api.make_url("/graphql")),
        env={**os.environ, "NODE_PATH": graphql_http, "EYE_AUDIT_TOKEN": api_token},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    results = orjson.loads(out)
    assert len(results) > 50
    required = [r for r in results if r["name"].startswith(("MUST", "SHOULD"))]
    failed = [f"{r['id']} {r['name']}: {r['status']} {r['reason']}" for r in required
              if r["status"] != "ok"]
    assert not failed, "\n".join(failed)
    optional = [r for r in results if r["name"].startswith("MAY") and r["status"] != "ok"]
    assert not optional, optional
