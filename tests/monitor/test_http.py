"""The API's /healthz: ok with the database, down without, and the reason only in the log."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from eye.server import create_server


async def test_healthz_is_ok_with_the_database(api: TestClient) -> None:
    resp = await api.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_healthz_says_down_without_the_databases_words(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    dsn = settings.dsn.rsplit("/", 1)[0] + "/eye_no_such_database"
    client = TestClient(TestServer(create_server(settings.model_copy(
        update={"database_url": SecretStr(dsn)}))))
    await client.start_server()
    try:
        with caplog.at_level(logging.WARNING, logger="monitor.http"):
            resp = await client.get("/healthz")
            body = await resp.json()
    finally:
        await client.close()
    assert (resp.status, body) == (503, {"status": "down"})
    assert "eye_no_such_database" in caplog.text
