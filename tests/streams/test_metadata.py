"""The check that the consumer's metadata lists the changelog topics, with a fake consumer."""

from __future__ import annotations

import asyncio

import pytest

from streams.metadata import KnownTopics


class Late:
    """Metadata that lists the topic after `refreshes` refreshes."""

    def __init__(self, refreshes: int) -> None:
        self.left = refreshes
        self.refreshed = 0

    def unknown(self) -> list[str]:
        return ["t-changelog"] if self.left > 0 else []

    async def refresh(self) -> None:
        self.refreshed += 1
        self.left -= 1


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.002)


async def test_not_ready_until_the_metadata_lists_the_topics() -> None:
    late = Late(3)
    known = KnownTopics(late, first_delay=0.001)
    assert not known.ready(1)  # the message is left; the metadata is fetched meanwhile
    assert not known.ready(1)  # one refresh at a time, however many messages come
    await settle()
    assert late.refreshed == 3
    assert known.ready(1)


async def test_known_topics_cost_no_refresh() -> None:
    late = Late(0)
    assert KnownTopics(late).ready(1)
    await settle()
    assert late.refreshed == 0


async def test_checked_once_per_generation() -> None:
    late = Late(0)
    known = KnownTopics(late, first_delay=0.001)
    assert known.ready(1)
    late.left = 1  # unknown again: seen at the next generation, not before
    assert known.ready(1)
    assert not known.ready(2)
    await settle()
    assert late.refreshed == 1 and known.ready(2)


async def test_wait_for_a_message_that_must_not_be_left() -> None:
    late = Late(2)
    await asyncio.wait_for(KnownTopics(late, first_delay=0.001).wait(lambda: 1), 5)
    assert late.refreshed == 2


async def test_warns_while_fetching(caplog: pytest.LogCaptureFixture) -> None:
    known = KnownTopics(Late(2), first_delay=0.001)
    known.ready(1)
    await settle()
    assert [r.getMessage() for r in caplog.records].count(
        "the consumer's metadata does not list t-changelog; fetching it again, "
        "messages wait till then") == 2
