"""/ui/errors narrowed to one application and one session."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from aiohttp.test_utils import TestClient

from tests.fixtures.rows import store_errors


async def test_errors_view_filters_by_application_and_session(
        api: TestClient, database: str, api_token: str) -> None:
    now = datetime.now(UTC)
    await store_errors(database, [
        ("missing_field", b'{"session_id": "alpha", "marker": "one"}', now),
        ("missing_field", b'{"session_id": "beta", "marker": "two"}', now),
        ("malformed_json", b'{"session_id": "alpha", "marker": "three', now)])
    with psycopg.connect(database, autocommit=True) as conn:
        app_id = conn.execute("INSERT INTO applications (name, key_hash) VALUES ('shop', 'x') "
                              "RETURNING id").fetchone()[0]
        conn.execute('UPDATE errors SET application_id = %s WHERE "offset" = 1', (app_id,))
    cookies = {"eye_token": api_token}

    async def view(query: str) -> str:
        resp = await api.get("/ui/errors" + query, cookies=cookies)
        assert resp.status == 200
        return await resp.text()

    everything = await view("")
    assert all(m in everything for m in ("one", "two", "three"))
    alpha = await view("?session=alpha")
    assert "one" in alpha and "three" in alpha and "two" not in alpha
    assert 'value="alpha"' in alpha
    shop = await view(f"?app={app_id}")
    assert "two" in shop and "one" not in shop and "three" not in shop
    assert f'<option value="{app_id}" selected>shop</option>' in shop
    assert "No rejected messages." in await view(f"?app={app_id}&session=alpha")
    resp = await api.get("/ui/errors?app=shop", cookies=cookies)
    assert resp.status == 400
