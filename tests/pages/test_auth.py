"""The sign-in cookie's attributes, and sign-in and sign-out refused from other sites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from base.settings import Settings
from eye.server import create_server

PUBLIC = "https://eye.example.com"


@asynccontextmanager
async def served(settings: Settings, **changes: object) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(create_server(settings.model_copy(update=changes))))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def _login(client: TestClient, token: str, **headers: str) -> tuple[int, str]:
    resp = await client.post("/ui/login", data={"token": token, "next": "/ui/errors"},
                             headers=headers, allow_redirects=False)
    return resp.status, resp.headers.get("Set-Cookie", "")


async def test_on_plain_http_the_cookie_lasts_max_age_under_ui(api: TestClient,
                                                               api_token: str) -> None:
    status, set_cookie = await _login(api, api_token)
    assert status == 303
    assert set_cookie.startswith("eye_token=")
    assert "Max-Age=43200" in set_cookie and "Path=/ui" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie


async def test_behind_an_https_public_url_the_cookie_is_secure_and_host_prefixed(
        settings: Settings, api_token: str) -> None:
    async with served(settings, public_url=PUBLIC, ui_cookie_max_age=600) as client:
        status, set_cookie = await _login(client, api_token, Origin=PUBLIC)
        assert status == 303
        assert set_cookie.startswith(f"__Host-eye_token={api_token};")
        assert "Secure" in set_cookie and "Path=/;" in set_cookie + ";"
        assert "Max-Age=600" in set_cookie and "Domain" not in set_cookie
        # The proxy speaks plain http to us; the browser sends the cookie back all the same.
        signed_in = {"Cookie": f"__Host-eye_token={api_token}"}
        resp = await client.get("/ui/sessions", headers=signed_in, allow_redirects=False)
        assert resp.status == 200
        resp = await client.get("/ui/sessions", cookies={"eye_token": api_token},
                                allow_redirects=False)
        assert resp.status == 303  # the unprefixed name is not read here
        resp = await client.post("/ui/logout", headers={**signed_in, "Origin": PUBLIC},
                                 allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Set-Cookie"].startswith('__Host-eye_token="";')
        assert "Secure" in resp.headers["Set-Cookie"]


async def test_sign_in_and_out_from_another_site_are_refused(api: TestClient,
                                                             api_token: str) -> None:
    here = str(api.make_url("")).rstrip("/")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": here}):
        status, set_cookie = await _login(api, api_token, **headers)
        assert (status, set_cookie) == (403, ""), headers
        resp = await api.post("/ui/logout", headers=headers, allow_redirects=False)
        assert resp.status == 403 and "Set-Cookie" not in resp.headers, headers
    for headers in ({}, {"Origin": here}, {"Sec-Fetch-Site": "same-origin", "Origin": here},
                    {"Sec-Fetch-Site": "none"}):
        assert (await _login(api, api_token, **headers))[0] == 303, headers


async def test_with_a_public_url_only_its_exact_origin_may_sign_in(settings: Settings,
                                                                   api_token: str) -> None:
    async with served(settings, public_url=PUBLIC + "/") as client:
        assert (await _login(client, api_token, Origin=PUBLIC))[0] == 303
        for origin in ("http://eye.example.com", "https://eye.example.com.evil.example",
                       "https://other.example.com"):
            assert (await _login(client, api_token, Origin=origin))[0] == 403, origin


async def test_an_app_key_at_sign_in_is_named_as_the_wrong_kind_of_secret(
        api: TestClient, app_key: str) -> None:
    resp = await api.post("/ui/login", data={"token": app_key, "next": "/ui/errors"},
                          allow_redirects=False)
    assert resp.status == 401
    assert "this is an application key" in await resp.text()
    assert "Set-Cookie" not in resp.headers
