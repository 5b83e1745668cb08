"""A graphql-transport-ws client for the tests: aiohttp's WebSocket with the protocol's steps."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
from aiohttp.test_utils import TestClient

PROTOCOL = "graphql-transport-ws"


class WsClient:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(orjson.dumps(message).decode())

    async def receive(self, timeout: float = 20.0) -> dict[str, Any]:
        """The next message; fails when the server closes instead."""
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
        message: dict[str, Any] = orjson.loads(msg.data)
        return message

    async def closed(self, timeout: float = 20.0) -> tuple[int | None, str]:
        """Read until the server closes; its close code and reason."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
            if msg.type == aiohttp.WSMsgType.CLOSE:
                return int(msg.data), str(msg.extra or "")
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return self.ws.close_code, str(msg.extra or "")

    async def init(self, token: str | None) -> None:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        assert await self.receive() == {"type": "connection_ack"}

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None
                        ) -> None:
        await self.send({"id": op_id, "type": "subscribe",
                         "payload": {"query": query, "variables": variables or {}}})

    async def nexts(self, op_id: str, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The data of the next `n` `next` messages of `op_id`."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            message = await self.receive(timeout=max(deadline - time.monotonic(), 0.01))
            assert message.get("id") == op_id and message["type"] == "next", message
            assert "errors" not in message["payload"], message
            out.append(message["payload"]["data"])
        return out

    async def close(self) -> None:
        await self.ws.close()


def small_window_connector(rcvbuf: int = 4096) -> aiohttp.TCPConnector:
    """A connector whose sockets have a small receive buffer: a client that stops reading
    stops the server's writes after a few kilobytes, as a slow network would."""
    def make(addr: Any) -> socket.socket:
        family, type_, proto, _, _ = addr
        s = socket.socket(family, type_, proto)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        return s
    return aiohttp.TCPConnector(socket_factory=make)


async def connect(api: TestClient, *, protocols: tuple[str, ...] = (PROTOCOL,),
                  session: aiohttp.ClientSession | None = None) -> WsClient:
    url = api.make_url("/graphql")
    if session is not None:
        return WsClient(await session.ws_connect(url, protocols=protocols))
    return WsClient(await api.session.ws_connect(url, protocols=protocols))


async def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
