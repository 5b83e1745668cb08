"""An application key sent where an API token belongs is named as such."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

QUERY = {"query": "{ eventTypes { name } }"}


async def test_an_app_key_as_bearer_token_is_named_as_the_wrong_kind(
        api: TestClient, app_key: str) -> None:
    resp = await api.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {app_key}"})
    assert resp.status == 401
    message = (await resp.json())["errors"][0]["message"]
    assert "is an application key (eye_…), which sends events" in message
    assert "eye tokens add NAME" in message
