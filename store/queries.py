"""Reads for the API: each question the data team asks is one function and one statement.

Pages are keyset pages: rows strictly after a (time, id) key, in (time, id) order, `limit` of
them; callers ask for one more than they show to learn whether a next page exists. Limits such
as the statement timeout are the connection's own (the API sets them on its pool).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import orjson
from psycopg import DataError, sql
from psycopg.rows import dict_row

from store.db import Connections
from store.errors import ValueRejected

Row = dict[str, Any]

_EVENT_FIELDS = 'id, session_id, category, name, data, "timestamp", application_id, received_at'
_ERROR_FIELDS = ('id, reason, detail, payload, headers, topic, "partition", "offset", '
                 'received_at, application_id')


async def fetch_all(pool: Connections, query: sql.Composable | str, params: Any = ()
                    ) -> list[Row]:
    """Every row of one statement, as dicts; a value the database cannot take raises
    ValueRejected (the caller's mistake, not the server's)."""
    try:
        async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchall()
    except DataError as exc:
        raise ValueRejected(f"the database cannot take a value given: {exc}") from exc


# ---- events ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EventFilter:
    session_id: str | None = None
    category: str | None = None
    name: str | None = None
    application_id: int | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


def _where(*conditions: tuple[str, Any]) -> tuple[sql.Composable, list[Any]]:
    """A WHERE clause of the conditions whose value is not None, and its parameters; a tuple
    value fills several placeholders."""
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    for clause, value in conditions:
        if value is not None:
            clauses.append(sql.SQL(clause))  # type: ignore[arg-type]
            params.extend(value if isinstance(value, tuple) else (value,))
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
    return where, params


def _event_where(f: EventFilter, after: tuple[datetime, UUID] | None
                 ) -> tuple[sql.Composable, list[Any]]:
    return _where(
        ("session_id = %s", f.session_id), ("category = %s", f.category), ("name = %s", f.name),
        ("application_id = %s", f.application_id),
        ('"timestamp" >= %s', f.start), ('"timestamp" < %s', f.end),
        # The plain bound lets the planner skip earlier partitions; the row comparison is exact.
        ('"timestamp" >= %s AND ("timestamp", id) > (%s, %s)',
         None if after is None else (after[0], after[0], after[1])))


async def events(pool: Connections, f: EventFilter, *, after: tuple[datetime, UUID] | None,
                 limit: int) -> list[Row]:
    where, params = _event_where(f, after)
    query = (sql.SQL(f"SELECT {_EVENT_FIELDS} FROM events") + where
             + sql.SQL(' ORDER BY "timestamp", id LIMIT %s'))
    return await fetch_all(pool, query, [*params, limit])


_SESSION_EVENTS = (f'SELECT {_EVENT_FIELDS} FROM events WHERE session_id = %s '
                   f'ORDER BY "timestamp", id LIMIT %s')


async def session_events(pool: Connections, session_id: str, *, limit: int | None = None
                         ) -> list[Row]:
    return await fetch_all(pool, _SESSION_EVENTS, (session_id, limit))


async def events_at(pool: Connections, moment: datetime, *, limit: int) -> list[Row]:
    """The events stamped exactly `moment`."""
    return await fetch_all(pool,
                           f'SELECT {_EVENT_FIELDS} FROM events WHERE "timestamp" = %s '
                           f'ORDER BY id LIMIT %s', (moment, limit))


async def events_between(pool: Connections, start: datetime, end: datetime, *,
                         limit: int) -> list[Row]:
    """Events with start <= timestamp <= end (both ends included), in time order."""
    return await fetch_all(pool,
                           f'SELECT {_EVENT_FIELDS} FROM events '
                           'WHERE "timestamp" BETWEEN %s AND %s '
                           'ORDER BY "timestamp", id LIMIT %s', (start, end, limit))


async def category_events(pool: Connections, category: str, *, limit: int) -> list[Row]:
    return await fetch_all(pool,
                           f'SELECT {_EVENT_FIELDS} FROM events WHERE category = %s '
                           f'ORDER BY "timestamp", id LIMIT %s', (category, limit))


# ---- counts ------------------------------------------------------------------------------------

Bucket = Literal["hour", "day"]
Dimension = Literal["category", "name"]

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def _floor(t: datetime, unit: timedelta) -> datetime:
    t = t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return t.replace(hour=0) if unit == _DAY else t


def _ceil(t: datetime, unit: timedelta) -> datetime:
    f = _floor(t, unit)
    return f if f == t else f + unit


@dataclass(frozen=True, slots=True)
class Pieces:
    """[start, end) cut into what each source answers exactly: whole UTC days from the daily
    rollups, whole hours from the hourly ones, and the partial hours at the ends from `events`.
    Each is a list of [from, to) ranges; together they cover [start, end) once."""

    raw: list[tuple[datetime, datetime]]
    hours: list[tuple[datetime, datetime]]
    days: list[tuple[datetime, datetime]]


def pieces(start: datetime, end: datetime) -> Pieces:
    if start >= end:
        return Pieces([], [], [])
    h0, h1 = _ceil(start, _HOUR), _floor(end, _HOUR)
    if h0 >= h1:
        return Pieces([(start, end)], [], [])
    raw = [r for r in ((start, h0), (h1, end)) if r[0] < r[1]]
    d0, d1 = _ceil(h0, _DAY), _floor(h1, _DAY)
    if d0 >= d1:
        return Pieces(raw, [(h0, h1)], [])
    hours = [r for r in ((h0, d0), (d1, h1)) if r[0] < r[1]]
    return Pieces(raw, hours, [(d0, d1)])


def _union(parts: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" UNION ALL ").join(parts)


def _rollup_parts(p: Pieces, *, hourly: str, daily: str,
                  select: Callable[[sql.Composable], sql.Composable], total: str,
                  raw_select: sql.Composable, raw_group: str, raw_where: str = ""
                  ) -> tuple[list[sql.Composable], list[Any]]:
    """SELECTs of (keys…, n) over each piece, and their parameters: `select(unit)` gives the
    keys from a rollup, `raw_select` from `events`."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    for table, unit, ranges in ((daily, "day", p.days), (hourly, "hour", p.hours)):
        for lo, hi in ranges:
            u = sql.Identifier(unit)
            parts.append(sql.SQL("SELECT {keys}, {total} AS n FROM {table} "
                                 "WHERE {unit} >= %s AND {unit} < %s").format(
                keys=select(u), total=sql.Identifier(total), table=sql.Identifier(table),
                unit=u))
            params += [lo, hi]
    for lo, hi in p.raw:
        parts.append(sql.SQL("SELECT {keys}, count(*) AS n FROM events "
                             'WHERE "timestamp" >= %s AND "timestamp" < %s{where} '
                             "GROUP BY {group}").format(
            keys=raw_select, where=sql.SQL(raw_where), group=sql.SQL(raw_group)))
        params += [lo, hi]
    return parts, params


async def event_counts(pool: Connections, start: datetime, end: datetime, *,
                       bucket: Bucket, group_by: tuple[Dimension, ...]) -> list[Row]:
    """Events per UTC hour or day in [start, end), per the dimensions in `group_by`; buckets
    without events are left out.

    Whole days and hours are read from the rollups (event_counts_daily, event_counts_hourly),
    the partial hours at either end from `events`: the answer equals counting `events`, at a
    cost that follows the length of the range, not the events in it.
    """
    p = pieces(start, end)
    if bucket == "hour" and p.days:  # days cannot make hour buckets: all whole hours, then
        whole = sorted(p.hours + p.days)
        p = Pieces(p.raw, [(whole[0][0], whole[-1][1])], [])
    dims = [d for d in ("category", "name") if d in group_by]
    columns = sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(d)) for d in dims)
    keys = ", ".join(str(i + 1) for i in range(1 + len(dims)))
    trunc = sql.Literal(bucket)
    parts, params = _rollup_parts(
        p, hourly="event_counts_hourly", daily="event_counts_daily", total="count",
        select=lambda unit: sql.SQL("date_trunc({}, {}, 'UTC') AS bucket{}").format(
            trunc, unit, columns),
        raw_select=sql.SQL("""date_trunc({}, "timestamp", 'UTC') AS bucket{}""").format(
            trunc, columns),
        raw_group=keys)
    if not parts:
        return []
    query = sql.SQL("SELECT bucket{columns}, sum(n)::bigint AS count FROM ({parts}) p "
                    "GROUP BY {keys} HAVING sum(n) > 0 ORDER BY {keys}").format(
        columns=columns, parts=_union(parts), keys=sql.SQL(keys))
    return await fetch_all(pool, query, params)


async def top_pages(pool: Connections, start: datetime, end: datetime, *, limit: int) -> list[Row]:
    """The most viewed pages ('page interaction'/'pageview' events) in [start, end), by
    data.host and data.path; read like event_counts, from page_views_daily, page_views_hourly
    and the partial hours of `events`."""
    parts, params = _rollup_parts(
        pieces(start, end), hourly="page_views_hourly", daily="page_views_daily",
        total="views", select=lambda unit: sql.SQL("host, path"),
        raw_select=sql.SQL("data->>'host' AS host, data->>'path' AS path"), raw_group="1, 2",
        raw_where=" AND category = 'page interaction' AND name = 'pageview'")
    if not parts:
        return []
    query = sql.SQL("SELECT host, path, sum(n)::bigint AS views FROM ({parts}) p "
                    "GROUP BY host, path HAVING sum(n) > 0 "
                    "ORDER BY views DESC, host, path LIMIT %s").format(parts=_union(parts))
    return await fetch_all(pool, query, [*params, limit])


# ---- sessions ----------------------------------------------------------------------------------

_SESSION = "SELECT * FROM sessions WHERE session_id = %s"


async def session(pool: Connections, session_id: str) -> Row | None:
    rows = await fetch_all(pool, _SESSION, (session_id,))
    return rows[0] if rows else None


async def session_with_events(pool: Connections, session_id: str, *, limit: int
                              ) -> tuple[Row | None, list[Row]]:
    """A session's row and its events, both statements sent before either answer is read:
    one round trip. On a busy machine each round trip waits for PostgreSQL's turn on a core
    and then the API's; under bench.isolation's mix that wait was most of a session(id)."""
    try:
        async with pool.connection() as conn:
            found = conn.cursor(row_factory=dict_row)
            events = conn.cursor(row_factory=dict_row)
            async with conn.pipeline():
                await found.execute(_SESSION, (session_id,))
                await events.execute(_SESSION_EVENTS, (session_id, limit))
            return await found.fetchone(), await events.fetchall()
    except DataError as exc:
        raise ValueRejected(f"the database cannot take a value given: {exc}") from exc


async def sessions(pool: Connections, *, application_id: int | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   after: tuple[datetime, str] | None, limit: int) -> list[Row]:
    where, params = _where(("application_id = %s", application_id), ("first_seen >= %s", start),
                           ("first_seen < %s", end), ("(first_seen, session_id) > (%s, %s)", after))
    query = (sql.SQL("SELECT * FROM sessions") + where
             + sql.SQL(" ORDER BY first_seen, session_id LIMIT %s"))
    return await fetch_all(pool, query, [*params, limit])


# ---- errors ------------------------------------------------------------------------------------

def session_needle(session_id: str) -> bytes:
    """What a rejected message's payload holds when it names `session_id`: the id as a JSON
    string. Matched on the raw bytes, so a payload that is not valid JSON is found too."""
    return orjson.dumps(session_id)


async def errors(pool: Connections, *, reason: str | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 application_id: int | None = None, session_id: str | None = None,
                 after: tuple[datetime, int] | None, limit: int, newest_first: bool = False
                 ) -> list[Row]:
    """Rejected messages in (received_at, id) order, or the reverse with `newest_first` (then
    `after` is a key to go back from). The session filter scans the rows the other filters
    leave: errors has no session column, since a rejected message may have no valid one."""
    needle = None if session_id is None else session_needle(session_id)
    where, params = _where(("reason = %s", reason), ("received_at >= %s", start),
                           ("received_at < %s", end), ("application_id = %s", application_id),
                           ("position(%s::bytea in payload) > 0", needle),
                           (f"(received_at, id) {'<' if newest_first else '>'} (%s, %s)", after))
    order = "DESC" if newest_first else "ASC"
    query = (sql.SQL(f"SELECT {_ERROR_FIELDS} FROM errors") + where
             + sql.SQL(f" ORDER BY received_at {order}, id {order} LIMIT %s"))
    return await fetch_all(pool, query, [*params, limit])


async def error_counts(pool: Connections, *, start: datetime | None = None,
                       end: datetime | None = None) -> list[Row]:
    where, params = _where(("received_at >= %s", start), ("received_at < %s", end))
    query = (sql.SQL("SELECT reason, count(*) AS count FROM errors") + where
             + sql.SQL(" GROUP BY reason ORDER BY count DESC, reason"))
    return await fetch_all(pool, query, params)


async def ping(pool: Connections) -> None:
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
