"""GraphQL over HTTP: POST and GET, mutations only over POST, request errors, GraphiQL."""

from __future__ import annotations

import re

import orjson
from aiohttp.test_utils import TestClient

from tests.graphql_api.conftest import Ev, Gql, at, store_events


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_get_runs_a_query(database: str, api: TestClient, api_token: str) -> None:
    await store_events(database, [Ev("s1", at("2022-01-01 00:00:00"))])
    resp = await api.get("/graphql", headers=auth(api_token), params={
        "query": "query Q($id: String!) { events(filter: {sessionId: $id}) { nodes { sessionId } } }",
        "variables": orjson.dumps({"id": "s1"}).decode(), "operationName": "Q"})
    assert resp.status == 200
    assert await resp.json() == {"data": {"events": {"nodes": [{"sessionId": "s1"}]}}}


async def test_a_mutation_over_get_is_405(api: TestClient, admin_token: str) -> None:
    resp = await api.get("/graphql", headers=auth(admin_token),
                         params={"query": 'mutation { deleteSession(id: "s1") { events } }'})
    assert resp.status == 405
    assert resp.headers["Allow"] == "POST"
    assert (await resp.json())["errors"][0]["message"] == "a mutation must be sent with POST"


async def test_operation_name_picks_the_operation(gql: Gql) -> None:
    doc = "query A { eventTypes { name } } query B { errorCounts { reason } }"
    assert (await gql(doc, operationName="B")) == {"data": {"errorCounts": []}}
    body = await gql(doc, status=400)
    assert "name one in operationName" in body["errors"][0]["message"]
    body = await gql(doc, status=400, operationName="C")
    assert body["errors"][0]["message"] == "no operation named 'C'"


async def test_request_errors_are_400(api: TestClient, api_token: str, gql: Gql) -> None:
    resp = await api.post("/graphql", data=b"{not json",
                          headers={**auth(api_token), "Content-Type": "application/json"})
    assert resp.status == 400
    assert (await resp.json())["errors"][0]["message"] == "the body is not JSON"

    resp = await api.post("/graphql", json=[1], headers=auth(api_token))
    assert resp.status == 400

    body = await gql("{ events { ", status=400)
    assert body["errors"][0]["message"].startswith("Syntax Error")

    body = await gql("{ nosuchfield }", status=400)
    assert "Cannot query field 'nosuchfield'" in body["errors"][0]["message"]

    body = await gql("", status=400)
    assert body["errors"][0]["message"].startswith("no query given")


async def test_a_browser_gets_graphiql_served_from_here(api: TestClient) -> None:
    resp = await api.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert resp.status == 200
    assert resp.content_type == "text/html"
    page = await resp.text()
    assert "GraphiQL" in page and "Authorization" in page
    # no CDN: every script and style sheet comes from this server
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(sources) == 6 and all(s.startswith("/graphql/assets/") for s in sources)
    assert "<script>" not in page  # no inline script: the policy below allows none
    for src in sources:
        asset = await api.get(src)
        assert asset.status == 200, src
        assert len(await asset.read()) > 1000
    assert (await api.get("/graphql/assets/../../etc/passwd")).status == 404
    assert (await api.get("/graphql/assets/nothing.js")).status == 404


GRAPHQL_RESPONSE = "application/graphql-response+json"
COERCION = {"query": "query($id: String!) { session(id: $id) { sessionId } }",
            "variables": {"id": None}}


async def post(api: TestClient, token: str, body: object, accept: str | None
               ) -> tuple[int, str, dict[str, object]]:
    headers = {**auth(token), "Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    resp = await api.post("/graphql", data=orjson.dumps(body), headers=headers)
    return resp.status, resp.content_type, orjson.loads(await resp.read())


async def test_the_answer_takes_the_accepted_media_type(api: TestClient, api_token: str) -> None:
    ok = {"query": "{ __typename }"}
    assert (await post(api, api_token, ok, GRAPHQL_RESPONSE))[:2] == (200, GRAPHQL_RESPONSE)
    assert (await post(api, api_token, ok, f"{GRAPHQL_RESPONSE}, application/json;q=0.9")
            )[:2] == (200, GRAPHQL_RESPONSE)
    assert (await post(api, api_token, ok, f"application/json, {GRAPHQL_RESPONSE};q=0.5")
            )[:2] == (200, "application/json")
    for accept in ("application/json", "*/*", None):
        assert (await post(api, api_token, ok, accept))[:2] == (200, "application/json"), accept


async def test_request_errors_have_no_data_and_their_status_follows_the_media_type(
        api: TestClient, api_token: str) -> None:
    requests = [COERCION, {"query": "{"}, {"query": "{ nosuchfield }"},
                {"query": "{ __schema { types { fields { type { ofType { ofType { ofType { "
                          "ofType { ofType { ofType { ofType { ofType { ofType { ofType { "
                          "ofType { name } } } } } } } } } } } } } } } }"}]
    for body in requests:
        status, media, answer = await post(api, api_token, body, GRAPHQL_RESPONSE)
        assert (status, media) == (400, GRAPHQL_RESPONSE), body
        assert "data" not in answer and answer["errors"]
        # application/json, as clients before the new media type expect: 200, still no data
        status, media, answer = await post(api, api_token, body, "application/json")
        assert (status, media) == (200, "application/json"), body
        assert "data" not in answer and answer["errors"]
    [error] = (await post(api, api_token, COERCION, None))[2]["errors"]  # type: ignore[misc]
    assert "$id" in error["message"]


async def test_a_post_must_say_its_body_is_json(api: TestClient, api_token: str) -> None:
    body = orjson.dumps({"query": "{ __typename }"})
    resp = await api.post("/graphql", data=body, headers={**auth(api_token),
                                                          "Content-Type": ""})
    assert resp.status == 415
    assert (await resp.json())["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    for content_type in ("text/plain", "application/json; charset=latin-1"):
        resp = await api.post("/graphql", data=body,
                              headers={**auth(api_token), "Content-Type": content_type})
        assert resp.status == 415, content_type
    resp = await api.post("/graphql", data=body, headers={
        **auth(api_token), "Content-Type": "application/json; charset=utf-8"})
    assert resp.status == 200


async def test_extensions_must_be_an_object(api: TestClient, api_token: str) -> None:
    ok = await post(api, api_token, {"query": "{ __typename }", "extensions": {"a": 1}}, None)
    assert ok == (200, "application/json", {"data": {"__typename": "Query"}})
    for bad in ("x", 0, False, []):
        status, _, _ = await post(api, api_token, {"query": "{ __typename }", "extensions": bad},
                                  GRAPHQL_RESPONSE)
        assert status == 400, bad


async def test_graphiql_is_served_with_security_headers(api: TestClient) -> None:
    resp = await api.get("/graphql", headers={"Accept": "text/html"})
    csp = {d.split()[0]: d.split()[1:] for d in resp.headers["Content-Security-Policy"].split("; ")}
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]  # the page's queries and its WebSocket, no other host
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    own = await api.get("/graphql/assets/graphiql-eye.js")
    assert own.status == 200 and own.headers["X-Content-Type-Options"] == "nosniff"
    script = await own.text()
    # the page keeps a pasted token out of localStorage
    assert "shouldPersistHeaders: false" in script and "storage: storage" in script
