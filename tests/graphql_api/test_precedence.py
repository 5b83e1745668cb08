"""Heavy requests' slices wait while a light request is under way, for a bounded time."""

from __future__ import annotations

import asyncio

from graphql_api.precedence import Precedence


def test_a_heavy_pause_waits_for_the_light_requests_under_way() -> None:
    async def run() -> list[str]:
        precedence = Precedence(max_hold=5.0)
        seen: list[str] = []

        async def heavy() -> None:
            await precedence.pause()
            seen.append("heavy slice")

        with precedence.arriving():
            with precedence.arriving():
                task = asyncio.create_task(heavy())
                await asyncio.sleep(0.05)
                seen.append("first light answered")
            await asyncio.sleep(0.05)
            seen.append("second light answered")
        await task
        return seen

    assert asyncio.run(run()) == ["first light answered", "second light answered",
                                  "heavy slice"]


def test_a_request_found_heavy_no_longer_holds_the_others() -> None:
    async def run() -> float:
        precedence = Precedence(max_hold=5.0)
        with precedence.arriving() as turn:
            turn.heavy()
            turn.heavy()  # twice is once
            started = asyncio.get_running_loop().time()
            await precedence.pause()
            return asyncio.get_running_loop().time() - started

    assert asyncio.run(run()) < 0.5


def test_light_requests_cannot_hold_a_heavy_one_longer_than_max_hold() -> None:
    async def run() -> float:
        precedence = Precedence(max_hold=0.05)
        with precedence.arriving():
            started = asyncio.get_running_loop().time()
            await precedence.pause()
            return asyncio.get_running_loop().time() - started

    held = asyncio.run(run())
    assert 0.04 < held < 1.0, held
