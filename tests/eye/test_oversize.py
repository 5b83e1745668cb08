"""A request whose URL or header is too long is answered JSON 414/431, and logged without a
traceback: it is the client's mistake, not the server's."""

from __future__ import annotations

import logging

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient


@pytest.mark.parametrize("size", [9_000, 100_000])
async def test_a_long_url_is_json_414(api: TestClient, caplog: pytest.LogCaptureFixture,
                                      size: int) -> None:
    caplog.set_level(logging.INFO)
    resp = await api.get("/graphql", params={"query": "{ " + "x" * size + " }"})
    assert resp.status == 414
    body = await resp.json()
    assert body["errors"][0]["extensions"] == {"code": "URI_TOO_LONG", "limit": 8190}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_url_past_the_parser_is_refused_without_a_traceback(
        api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with ClientSession() as session:
        resp = await session.get(api.make_url("/graphql?query=" + "x" * 2_000_000))
        assert 400 <= resp.status < 500
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_long_header_is_json_431(api: TestClient, caplog: pytest.LogCaptureFixture
                                         ) -> None:
    caplog.set_level(logging.INFO)
    resp = await api.get("/graphql", headers={"Authorization": "Bearer " + "x" * 20_000})
    assert resp.status == 431
    assert (await resp.json())["errors"][0]["extensions"]["code"] == "HEADER_TOO_LARGE"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
