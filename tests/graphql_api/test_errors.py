"""errors(filter, first, after) over rejected messages, and errorCounts by reason."""

from __future__ import annotations

import base64
from datetime import timedelta

from tests.fixtures.rows import store_errors
from tests.graphql_api.conftest import Gql, at

ERRORS = """query($filter: ErrorFilter, $first: Int, $after: String) {
  errors(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id reason detail payload payloadBase64 headers topic partition offset
                          receivedAt applicationId } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_rejected_messages_page_in_time_order_and_filter_by_reason(
        database: str, gql: Gql) -> None:
    t = at("2022-01-01 00:00:00")
    # offsets 0..5; 0-3 share one instant
    await store_errors(database, [("malformed_json", b"{not json", t),
                                  ("invalid_encoding", b"\xff\xfe", t),
                                  ("malformed_json", b"{", t),
                                  ("missing_field", None, t),
                                  ("malformed_json", b"[", t + timedelta(seconds=1)),
                                  ("unauthorized_app", b"{}", t + timedelta(days=1))])
    offsets: list[str] = []
    after = None
    while True:
        conn = (await gql(ERRORS, {"first": 4, "after": after}))["data"]["errors"]
        offsets += [e["node"]["offset"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert offsets == ["0", "1", "2", "3", "4", "5"]

    conn = (await gql(ERRORS, {"filter": {"reason": "malformed_json", "to": "2022-01-01T00:00:01Z"}})
            )["data"]["errors"]
    assert [e["node"]["payload"] for e in conn["edges"]] == ["{not json", "{"]

    conn = (await gql(ERRORS, {"filter": {"reason": "invalid_encoding"}}))["data"]["errors"]
    node = conn["edges"][0]["node"]
    assert node["payload"] == "\ufffd\ufffd"
    assert base64.b64decode(node["payloadBase64"]) == b"\xff\xfe"
    assert {k: node[k] for k in ("reason", "detail", "headers", "topic", "partition",
                                 "receivedAt", "applicationId")} == {
        "reason": "invalid_encoding", "detail": "detail of invalid_encoding", "headers": {},
        "topic": "eye-events", "partition": 0, "receivedAt": "2022-01-01T00:00:00+00:00",
        "applicationId": None}

    conn = (await gql(ERRORS, {"filter": {"reason": "missing_field"}}))["data"]["errors"]
    assert conn["edges"][0]["node"]["payload"] is None


async def test_error_counts_by_reason(database: str, gql: Gql) -> None:
    t = at("2022-01-01 00:00:00")
    await store_errors(database, [("malformed_json", b"", t), ("malformed_json", b"", t),
                                  ("missing_field", b"", t), ("unauthorized_app", b"", t),
                                  ("unauthorized_app", b"", t + timedelta(days=3))])
    query = "query($from: DateTime, $to: DateTime) { errorCounts(from: $from, to: $to) { reason count } }"
    assert (await gql(query))["data"]["errorCounts"] == [
        {"reason": "malformed_json", "count": 2}, {"reason": "unauthorized_app", "count": 2},
        {"reason": "missing_field", "count": 1}]
    assert (await gql(query, {"from": "2022-01-02T00:00:00Z"}))["data"]["errorCounts"] == [
        {"reason": "unauthorized_app", "count": 1}]


async def test_rejected_messages_filter_by_application_and_session(database: str, gql: Gql) -> None:
    import psycopg

    t = at("2022-01-01 00:00:00")
    await store_errors(database, [
        ("missing_field", b'{"session_id": "s-1", "name": "pageview"}', t),
        ("malformed_json", b'{"session_id": "s-1", "name": ', t),  # not JSON, still s-1's
        ("missing_field", b'{"session_id": "s-10"}', t),  # a longer id that starts alike
        ("unauthorized_app", b'{"session_id": "s-2"}', t)])
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
        await conn.execute('UPDATE errors SET application_id = 7 WHERE "offset" IN (1, 2)')

    async def offsets(flt: dict[str, object]) -> list[str]:
        conn = (await gql(ERRORS, {"filter": flt}))["data"]["errors"]
        return [e["node"]["offset"] for e in conn["edges"]]

    assert await offsets({"sessionId": "s-1"}) == ["0", "1"]
    assert await offsets({"applicationId": "7"}) == ["1", "2"]
    assert await offsets({"applicationId": "7", "sessionId": "s-1"}) == ["1"]
    assert await offsets({"sessionId": "s-1", "reason": "missing_field"}) == ["0"]
    assert await offsets({"sessionId": "nobody"}) == []
    answer = await gql(ERRORS, {"filter": {"applicationId": "seven"}})
    assert "applicationId must be a number" in answer["errors"][0]["message"]
