"""Reads for the pages served by The Eye: session list and detail, errors by reason. Run like
the API's (store/queries.py), on the same pool and under its statement timeout."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from store.queries import Row, session_needle
from store.queries import fetch_all as _all

_SESSION_FIELDS = ("s.session_id, s.application_id, a.name AS application, s.first_seen, "
                   "s.last_seen, s.duration_seconds, s.event_count, s.pageviews, s.entry_page, "
                   "s.exit_page, s.bounce")


async def applications(pool: AsyncConnectionPool) -> list[Row]:
    return await _all(pool, "SELECT id, name, revoked_at FROM applications ORDER BY name")


async def sessions(pool: AsyncConnectionPool, *, application_id: int | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   before: tuple[datetime, str] | None = None, limit: int = 50) -> list[Row]:
    """Sessions first seen in [since, until), newest first, after the keyset `before`
    ((first_seen, session_id) of the last row of the previous page)."""
    where, params = [], []
    if application_id is not None:
        where.append("s.application_id = %s")
        params.append(application_id)
    if since is not None:
        where.append("s.first_seen >= %s")
        params.append(since)
    if until is not None:
        where.append("s.first_seen < %s")
        params.append(until)
    if before is not None:
        where.append("(s.first_seen, s.session_id) < (%s, %s)")
        params.extend(before)
    sql = (f"SELECT {_SESSION_FIELDS} FROM sessions s "
           "LEFT JOIN applications a ON a.id = s.application_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY s.first_seen DESC, s.session_id DESC LIMIT %s")
    return await _all(pool, sql, (*params, limit))


async def session(pool: AsyncConnectionPool, session_id: str) -> Row | None:
    rows = await _all(pool, f"SELECT {_SESSION_FIELDS} FROM sessions s LEFT JOIN applications a "
                            "ON a.id = s.application_id WHERE s.session_id = %s", (session_id,))
    return rows[0] if rows else None


async def session_events(pool: AsyncConnectionPool, session_id: str, limit: int) -> list[Row]:
    """The first `limit` events of a session in time order."""
    return await _all(pool, 'SELECT id, category, name, data, "timestamp", received_at, stored_at,'
                            ' kafka_partition, kafka_offset FROM events WHERE session_id = %s '
                            'ORDER BY "timestamp", id LIMIT %s', (session_id, limit))


def _error_scope(application_id: int | None, session_id: str | None
                 ) -> tuple[str, tuple[Any, ...]]:
    """The conditions the errors view filters by (any may be None, meaning all)."""
    needle = None if session_id is None else session_needle(session_id)
    return ("(%s::bigint IS NULL OR application_id = %s) "
            "AND (%s::bytea IS NULL OR position(%s::bytea in payload) > 0)",
            (application_id, application_id, needle, needle))


async def error_counts(pool: AsyncConnectionPool, since: datetime | None,
                       application_id: int | None = None, session_id: str | None = None
                       ) -> list[Row]:
    """Per reason: how many messages were rejected since `since` and when the latest was read;
    only those of one application or naming one session when told."""
    scope, params = _error_scope(application_id, session_id)
    return await _all(pool, "SELECT reason, count(*) AS count, max(received_at) AS latest "
                            "FROM errors "
                            "WHERE received_at >= coalesce(%s::timestamptz, '-infinity') "
                            f"AND {scope} "
                            "GROUP BY reason ORDER BY count(*) DESC, reason", (since, *params))


async def latest_errors(pool: AsyncConnectionPool, reasons: list[str], since: datetime | None,
                        per_reason: int, application_id: int | None = None,
                        session_id: str | None = None) -> list[Row]:
    """The `per_reason` latest rejections of each reason, newest first, with the payload's
    first bytes."""
    scope, params = _error_scope(application_id, session_id)
    return await _all(pool, f"""
        SELECT e.* FROM unnest(%s::text[]) AS r(reason) CROSS JOIN LATERAL (
            SELECT id, reason, detail, substring(payload FROM 1 FOR 300) AS payload_head,
                   octet_length(payload) AS payload_bytes, topic, "partition", "offset",
                   received_at, application_id
            FROM errors WHERE errors.reason = r.reason
              AND received_at >= coalesce(%s::timestamptz, '-infinity') AND {scope}
            ORDER BY received_at DESC, id DESC LIMIT %s) e
        ORDER BY e.reason, e.received_at DESC, e.id DESC""",
                      (reasons, since, *params, per_reason))


async def rejected_recently(pool: AsyncConnectionPool, seconds: float) -> int:
    """Messages rejected in the last `seconds` (by the time the worker read them)."""
    rows = await _all(pool, "SELECT count(*) AS n FROM errors "
                            "WHERE received_at >= now() - make_interval(secs => %s)", (seconds,))
    return int(rows[0]["n"])
