"""A minimal Socket.IO v5 (Engine.IO v4) websocket client, light enough for 10,000 sockets in
one process: one aiohttp websocket and one reader task per socket, no polling, no reconnects.
It speaks what the benchmark needs: connect with ``auth``, emit with ack, receive ``event``
pushes (their arrival time is handed to a callback), answer the server's pings."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

EventCallback = Callable[[Any, float], None]


class SocketError(RuntimeError):
    """The socket could not connect, or an ack did not come."""


class BenchSocket:
    """One connected socket (use :func:`connect`)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, on_event: EventCallback) -> None:
        self.ws = ws
        self.sid = ""
        self._on_event = on_event
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._reader: asyncio.Task[None] | None = None

    async def _handshake(self, auth: dict[str, str], within: float) -> None:
        opened = await self.ws.receive(within)
        if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
            raise SocketError(f"no Engine.IO open packet: {opened.data!r}")
        await self.ws.send_str("40" + orjson.dumps(auth).decode())
        while True:
            reply = await self.ws.receive(within)
            if reply.type != aiohttp.WSMsgType.TEXT:
                raise SocketError(f"closed during connect: {reply.type!r}")
            text: str = reply.data
            if text == "2":
                await self.ws.send_str("3")
                continue
            if text.startswith("40"):
                self.sid = orjson.loads(text[2:]).get("sid", "")
                break
            raise SocketError(f"connect refused: {text[:200]}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            arrived = time.perf_counter()
            text: str = message.data
            if text.startswith("42"):
                name, *args = orjson.loads(text[2:])
                if name == "event" and args:
                    self._on_event(args[0], arrived)
            elif text.startswith("43"):
                bracket = text.index("[")
                future = self._acks.pop(int(text[2:bracket]), None)
                if future is not None and not future.done():
                    values = orjson.loads(text[bracket:])
                    future.set_result(values[0] if values else None)
            elif text == "2":
                await self.ws.send_str("3")

    async def call(self, event: str, data: Any, within: float = 30.0) -> Any:
        """Emit ``event`` with ``data`` and wait for its ack."""
        self._next_id += 1
        ack_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self.ws.send_str(f"42{ack_id}" + orjson.dumps([event, data]).decode())
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            self._acks.pop(ack_id, None)
            raise SocketError(f"no ack for {event} within {within}s") from None

    async def close(self) -> None:
        """Disconnect (Socket.IO disconnect packet, then the websocket close)."""
        with contextlib.suppress(Exception):
            await self.ws.send_str("41")
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


async def connect(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str,
    on_event: EventCallback,
    within: float = 30.0,
) -> BenchSocket:
    """A socket at ``base_url`` (gateway or a realtime process) authenticated with ``token``."""
    url = base_url.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
    ws = await session.ws_connect(
        url, timeout=aiohttp.ClientWSTimeout(ws_close=5.0), heartbeat=None
    )
    socket = BenchSocket(ws, on_event)
    try:
        await socket._handshake({"token": token}, within)
    except BaseException:
        await ws.close()
        raise
    return socket
