"""`eye worker` on a broker that lists new topics late: the metadata the worker's Kafka clients
receive leaves out the tables' changelog topics until a few seconds after the group's first
assignment. A worker sees this when it subscribes before a loaded broker has applied the topics
it has just created. Run as `python -m tests.streams.late_topics`; the settings come from the
environment, as for `eye worker`."""

from __future__ import annotations

import sys
import time
from typing import Any

from aiokafka.cluster import ClusterMetadata
from aiokafka.consumer.group_coordinator import GroupCoordinator

from eye.cli import main

LATE_FOR = 3.0  # seconds from the first assignment until the broker lists the changelogs
_listed_at: list[float] = []


def _late(topic: str) -> bool:
    return topic.endswith("-changelog") and (not _listed_at or time.monotonic() < _listed_at[0])


_update = ClusterMetadata.update_metadata
_assign = GroupCoordinator._perform_assignment


def update_metadata(self: ClusterMetadata, metadata: Any) -> None:
    metadata.topics = [t for t in metadata.topics if not _late(t[1])]  # t[1]: the topic's name
    _update(self, metadata)


async def perform_assignment(self: GroupCoordinator, response: Any) -> Any:
    assignments = await _assign(self, response)
    if not _listed_at:
        _listed_at.append(time.monotonic() + LATE_FOR)
    return assignments


ClusterMetadata.update_metadata = update_metadata  # type: ignore[method-assign]
GroupCoordinator._perform_assignment = perform_assignment  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["worker"]))
