"""Session ids and cursors with bytes PostgreSQL cannot hold are the client's error."""

from __future__ import annotations

import base64

import orjson
from aiohttp.test_utils import TestClient


async def test_control_characters_in_a_session_path_answer_400(api: TestClient,
                                                               api_token: str) -> None:
    cookies = {"eye_token": api_token}
    for path in ("/ui/sessions/a%00b", "/ui/sessions/a%0Ab", "/ui/sessions/a%1Bb",
                 "/ui/sessions/a%7Fb", "/ui/sessions/a%FFb", "/ui/sessions/%C3%28"):
        resp = await api.get(path, cookies=cookies, allow_redirects=False)
        assert resp.status == 400, (path, resp.status, await resp.text())
    resp = await api.get("/ui/sessions/a%20b%C3%A9", cookies=cookies, allow_redirects=False)
    assert resp.status == 404  # unusual but valid: no such session


async def test_a_cursor_naming_a_nul_session_answers_400(api: TestClient,
                                                         api_token: str) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps(["2021-01-01T00:00:00+00:00", "a\x00b"]))
    resp = await api.get("/ui/sessions", params={"before": cursor.decode()},
                         cookies={"eye_token": api_token}, allow_redirects=False)
    assert resp.status == 400
