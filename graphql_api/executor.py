"""Long lists completed in slices, so one large answer does not hold the event loop.

graphql-core completes a list's items in one go: a page of 1,000 events (six fields each) takes
about 25 ms of the interpreter, a year of counts by day, category and name 20 ms, and every
other request of the process waits meanwhile, a session's included. `SlicingExecutor` completes
lists longer than SLICE items SLICE at a time and lets the loop run between slices (other
requests read their bodies, send their statements, write their answers); the answer is the
same, item paths included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLOutputType, GraphQLResolveInfo
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.pyutils import Path, is_awaitable

# About 0.5 ms of completion for events of six fields. A cheap request's every step (its body,
# its statement, its answer) waits behind the slices queued before it: with 100 (2-3 ms) and a
# few large answers under way, a session's p95 was 40 ms in bench.isolation's mix.
SLICE = 25


async def _yield() -> None:
    await asyncio.sleep(0)


def _offset(path: Path, offset: int) -> Path:
    """`path`, whose items' paths count from `offset`."""
    class Offset(Path):
        __slots__ = ()

        def add_key(self, key: str | int, typename: str | None = None) -> Path:
            return Path(self, key + offset if isinstance(key, int) else key, typename)

    return Offset(path.prev, path.key, path.typename)


class SlicingExecutor(IncrementalExecutor):
    def complete_iterable_value(self, item_type: GraphQLOutputType, field_details_list: Any,
                                info: GraphQLResolveInfo, path: Path, items: Iterable[Any],
                                position_context: Any) -> Any:
        if not isinstance(items, list) or len(items) <= SLICE \
                or self.get_stream_usage(field_details_list, path) is not None:
            return super().complete_iterable_value(item_type, field_details_list, info, path,
                                                   items, position_context)
        complete = super().complete_iterable_value
        pause = getattr(self.context_value, "pause", None) or _yield

        async def sliced() -> list[Any]:
            completed: list[Any] = []
            for start in range(0, len(items), SLICE):
                if start:
                    await pause()
                part = complete(item_type, field_details_list, info, _offset(path, start),
                                items[start:start + SLICE], position_context)
                completed.extend(await part if is_awaitable(part) else part)
            return completed

        return sliced()
