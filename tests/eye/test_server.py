"""The API server against slow and numerous clients, over raw sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest_asyncio

from base.settings import Settings
from eye.server import listening

Address = tuple[str, int]


@pytest_asyncio.fixture
async def address(settings: Settings) -> AsyncIterator[Address]:
    quick = settings.model_copy(update={"api_port": 0, "api_header_timeout": 1.0,
                                        "api_body_timeout": 1.0, "api_max_connections": 3})
    async with listening(quick) as server:
        host, port = server.sockets[0].getsockname()[:2]
        yield host, port


async def _answer(reader: asyncio.StreamReader, within: float) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), within)


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every: float = 0.25) -> None:
    for byte in data:
        if writer.is_closing():
            return
        writer.write(bytes([byte]))
        try:
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(every)


async def _slow_body(address: Address, path: str, key: str, rest: bytes) -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection(*address)
    started = time.monotonic()
    writer.write(f"POST {path} HTTP/1.1\r\nHost: eye\r\nContent-Type: application/json\r\n"
                 f"Authorization: Bearer {key}\r\nContent-Length: 100\r\n\r\n{{".encode())
    trickle = asyncio.create_task(_trickle(writer, rest))
    try:
        answer = await _answer(reader, 10)
    finally:
        trickle.cancel()
        writer.close()
    return answer, time.monotonic() - started


async def test_a_body_sent_a_byte_at_a_time_is_answered_408_and_closed(
        address: Address, app_key: str, admin_token: str) -> None:
    for path, key in (("/v1/events", app_key), ("/graphql", admin_token)):
        # A byte every quarter second, or the body stopped at its first of 100 bytes.
        for rest in (b" " * 60, b""):
            answer, took = await _slow_body(address, path, key, rest)
            assert answer.startswith(b"HTTP/1.1 408 "), (path, answer[:200])
            assert b"request_timeout" in answer
            assert 0.9 < took < 3, (path, took)


async def test_headers_sent_a_byte_at_a_time_are_cut_off(address: Address) -> None:
    reader, writer = await asyncio.open_connection(*address)
    started = time.monotonic()
    trickle = asyncio.create_task(
        _trickle(writer, b"GET /healthz HTTP/1.1\r\nHost: eye\r\nX-Slow: " + b"a" * 60))
    try:
        assert await _answer(reader, 10) == b""  # closed with no request to answer
    finally:
        trickle.cancel()
        writer.close()
    assert time.monotonic() - started < 3


async def test_a_quick_client_keeps_its_connection_for_several_requests(address: Address) -> None:
    reader, writer = await asyncio.open_connection(*address)
    try:
        for _ in range(3):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: eye\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 ")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(0.5)  # idle, but within the header timeout
    finally:
        writer.close()


async def test_connections_beyond_the_cap_are_answered_503(address: Address) -> None:
    held = [await asyncio.open_connection(*address) for _ in range(3)]
    await asyncio.sleep(0.1)
    reader, writer = await asyncio.open_connection(*address)
    answer = await _answer(reader, 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 503 "), answer
    assert b"Retry-After: 1" in answer
    _r, first = held.pop()
    first.close()
    await asyncio.sleep(0.2)
    reader, writer = await asyncio.open_connection(*address)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: eye\r\nConnection: close\r\n\r\n")
    assert (await _answer(reader, 5)).startswith(b"HTTP/1.1 200 ")
    writer.close()
    for _r, w in held:
        w.close()


async def test_the_server_s_start_up_objects_are_left_out_of_full_collections(
        settings: Settings) -> None:
    import gc
    import os
    import signal

    from eye.server import serve
    from tests.fixtures.stack import free_port

    from base import memory

    port, threshold = free_port(), gc.get_threshold()
    served = asyncio.create_task(serve(settings.model_copy(update={"api_port": port})))
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        # A full pass over them every few hundred requests held every request 40-50 ms.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == memory.YOUNG_THRESHOLD
    finally:
        os.kill(os.getpid(), signal.SIGTERM)  # serve's handler: stop
        await asyncio.wait_for(served, 30)
        gc.unfreeze()
        gc.set_threshold(*threshold)
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().remove_signal_handler(sig)
