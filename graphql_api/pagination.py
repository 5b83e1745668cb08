"""Relay connections with keyset cursors: a cursor is the sort key of the last row it saw."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from graphql_api.errors import BadArgument


def page_size(first: int | None, *, default: int, maximum: int) -> int:
    if first is None:
        return default
    if not 0 <= first <= maximum:
        raise BadArgument(f"`first` must be between 0 and {maximum}, got {first}",
                          argument="first", maximum=maximum)
    return first


def encode(key: tuple[datetime, Any]) -> str:
    raw = orjson.dumps([key[0].isoformat(), str(key[1])])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, *, kind: Callable[[str], Any] = str) -> tuple[datetime, Any] | None:
    """The sort key in `cursor`; `kind` converts its second part (the id)."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, key = orjson.loads(raw)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("cursor time without offset")
        return moment, kind(key)
    except (ValueError, TypeError) as exc:
        raise BadArgument(f"`after` is not a cursor this API gave out: {cursor!r}",
                          argument="after") from exc


def connection(rows: Sequence[dict[str, Any]], size: int, *, after: str | None,
               key: Callable[[dict[str, Any]], tuple[datetime, Any]]) -> dict[str, Any]:
    """A connection from up to `size + 1` rows fetched in order; the extra row only says
    that there is a next page."""
    page = list(rows[:size])
    edges = [{"cursor": encode(key(r)), "node": r} for r in page]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "hasNextPage": len(rows) > size,
            "hasPreviousPage": after is not None,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
