"""The inbox the consumer hands the input topic's messages to: taken in lists, bounded, cleared
on revocation. (The worker's path through it is covered end to end by test_pipeline,
test_recovery and the fault drills.)"""

from __future__ import annotations

import asyncio

from streams.delivery import Inbox


async def test_take_returns_what_is_there_after_the_wait() -> None:
    inbox = Inbox(maxsize=100)
    for i in range(3):
        inbox.put(i)
    assert await inbox.take(10, within=0.01) == [0, 1, 2]
    assert len(inbox) == 0


async def test_take_returns_at_most_most_without_waiting() -> None:
    inbox = Inbox(maxsize=100)
    for i in range(25):
        inbox.put(i)
    started = asyncio.get_running_loop().time()
    assert await inbox.take(10, within=5.0) == list(range(10))
    assert asyncio.get_running_loop().time() - started < 1.0
    assert await inbox.take(10, within=5.0) == list(range(10, 20))


async def test_take_waits_for_the_first_message_then_gathers_within() -> None:
    inbox = Inbox(maxsize=100)
    taking = asyncio.create_task(inbox.take(3, within=1.0))
    await asyncio.sleep(0.05)
    assert not taking.done()
    inbox.put("a")
    await asyncio.sleep(0.01)
    assert not taking.done()  # waiting for more, up to `within`
    inbox.put("b")
    inbox.put("c")
    assert await asyncio.wait_for(taking, 0.5) == ["a", "b", "c"]


async def test_room_waits_until_half_is_free() -> None:
    inbox = Inbox(maxsize=10)
    for i in range(10):
        inbox.put(i)
    assert inbox.full()
    waiting = asyncio.create_task(inbox.room())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await inbox.take(3, within=0)  # 7 left: more than half
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await inbox.take(2, within=0)  # 5 left: half
    await asyncio.wait_for(waiting, 0.5)


async def test_clear_forgets_and_frees_the_consumer() -> None:
    inbox = Inbox(maxsize=4)
    for i in range(4):
        inbox.put(i)
    waiting = asyncio.create_task(inbox.room())
    await asyncio.sleep(0.01)
    inbox.clear()
    await asyncio.wait_for(waiting, 0.5)
    assert len(inbox) == 0
    taking = asyncio.create_task(inbox.take(10, within=0.01))
    await asyncio.sleep(0.02)
    assert not taking.done()  # nothing from before the revocation
    inbox.put("new")
    assert await asyncio.wait_for(taking, 0.5) == ["new"]


async def test_a_clear_during_the_gathering_wait_is_not_returned_as_an_empty_list() -> None:
    inbox = Inbox(maxsize=100)
    inbox.put("old")
    taking = asyncio.create_task(inbox.take(10, within=0.05))
    await asyncio.sleep(0.01)
    inbox.clear()
    await asyncio.sleep(0.08)
    assert not taking.done()
    inbox.put("new")
    assert await asyncio.wait_for(taking, 0.5) == ["new"]


def test_faust_clears_the_inbox_with_the_stream_buffers() -> None:
    from streams.fetching import App

    app = App("inbox-test", broker="kafka://127.0.0.1:1", store="memory://")
    topic = app.topic("inbox-test-topic", key_serializer="raw", value_serializer="raw")
    inbox = app.inbox(topic, maxsize=10)
    inbox.put("held")
    app.flow_control.clear()  # what Faust does when partitions are revoked
    assert len(inbox) == 0
    assert app.inboxes == {"inbox-test-topic": inbox}
