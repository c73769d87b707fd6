"""The Socket.IO endpoint: websocket frames bridged both ways, long-polling proxied, no bearer
header needed (realtime checks the token inside the handshake), limited per IP."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from gateway.tests.conftest import HarnessFactory
from hintro_devtools.ports import free_port
from hintro_testkit.infra import wait_for

pytestmark = pytest.mark.integration


class EchoRealtime:
    """A stand-in realtime service: an Engine.IO-ish open packet, then echo."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.close_codes: list[int | None] = []
        self.user_ids: list[str | None] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            self.queries.append(request.rel_url.raw_query_string)
            body = await request.read()
            return web.Response(text=f"polled:{request.method}:{body.decode()}")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.queries.append(request.rel_url.raw_query_string)
        self.user_ids.append(request.headers.get("X-User-Id"))
        await ws.send_str('0{"sid":"abc"}')
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                if message.data == "close-me":
                    await ws.close(code=4001, message=b"bye")
                    break
                await ws.send_str(message.data)
            elif message.type is aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data[::-1])
        self.close_codes.append(ws.close_code)
        return ws

    def install(self, app: web.Application) -> None:
        app.router.add_route("*", "/socket.io/", self.handle)


async def test_websocket_frames_are_bridged_both_ways(make_gateway: HarnessFactory) -> None:
    realtime = EchoRealtime()
    harness = await make_gateway(customize={"realtime": realtime.install}, upstream_timeout=0.5)
    ws = await harness.client.ws_connect("/socket.io/?EIO=4&transport=websocket&x=a%20b%26c")
    assert (await ws.receive_str(timeout=5)) == '0{"sid":"abc"}'
    await ws.send_str("hello")
    assert (await ws.receive_str(timeout=5)) == "hello"
    await ws.send_bytes(b"\x01\x02\x03")
    assert (await ws.receive_bytes(timeout=5)) == b"\x03\x02\x01"
    # A bridged socket outlives the per-request timeout (0.5 s here).
    await asyncio.sleep(0.8)
    await ws.send_str("still here")
    assert (await ws.receive_str(timeout=5)) == "still here"
    assert realtime.queries == ["EIO=4&transport=websocket&x=a%20b%26c"]
    assert realtime.user_ids == [None]
    await ws.close()

    async def upstream_closed() -> bool:
        return bool(realtime.close_codes)

    await wait_for(upstream_closed, what="the service side to close")
    assert realtime.close_codes == [1000]


async def test_service_close_reaches_the_client_with_its_code(make_gateway: HarnessFactory) -> None:
    realtime = EchoRealtime()
    harness = await make_gateway(customize={"realtime": realtime.install})
    ws = await harness.client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    await ws.receive_str(timeout=5)
    await ws.send_str("close-me")
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 4001


async def test_long_polling_is_proxied_with_its_query(make_gateway: HarnessFactory) -> None:
    realtime = EchoRealtime()
    harness = await make_gateway(customize={"realtime": realtime.install})
    get = await harness.client.get("/socket.io/?EIO=4&transport=polling&t=abc")
    assert get.status == 200
    assert await get.text() == "polled:GET:"
    post = await harness.client.post("/socket.io/?EIO=4&transport=polling&sid=s1", data=b"40")
    assert await post.text() == "polled:POST:40"
    assert realtime.queries == ["EIO=4&transport=polling&t=abc", "EIO=4&transport=polling&sid=s1"]


async def test_websocket_to_a_down_service_is_a_clean_502(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(realtime_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await harness.client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    assert caught.value.status == 502


async def test_socketio_is_limited_per_ip(make_gateway: HarnessFactory) -> None:
    realtime = EchoRealtime()
    harness = await make_gateway(
        customize={"realtime": realtime.install}, rate_limit_socketio="2/60"
    )
    statuses = [
        (await harness.client.get("/socket.io/?EIO=4&transport=polling")).status for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await harness.client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    assert caught.value.status == 429
