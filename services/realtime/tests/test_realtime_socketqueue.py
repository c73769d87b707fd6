"""The Engine.IO socket queue keeps ``asyncio.Queue``'s meaning for what Engine.IO calls: FIFO,
a waiting consumer gets the next item, a timed-out wait loses nothing, ``join`` waits for
``task_done``."""

from __future__ import annotations

import asyncio

import pytest

from hintro_realtime.socketqueue import SocketQueue


async def test_items_come_out_in_the_order_they_went_in() -> None:
    queue = SocketQueue()
    for item in ("a", "b", "c"):
        await queue.put(item)
    assert queue.qsize() == 3
    assert await queue.get() == "a"
    assert queue.get_nowait() == "b"
    assert await asyncio.wait_for(queue.get(), 1) == "c"
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_consumer_gets_the_next_item() -> None:
    queue = SocketQueue()
    waiting = asyncio.ensure_future(asyncio.wait_for(queue.get(), 5))
    await asyncio.sleep(0)
    queue.put_nowait("pushed")
    assert await waiting == "pushed"
    assert queue.empty()


async def test_a_timed_out_wait_loses_no_item() -> None:
    queue = SocketQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("after the timeout")
    assert await asyncio.wait_for(queue.get(), 1) == "after the timeout"


async def test_join_waits_until_every_item_is_done() -> None:
    queue = SocketQueue()
    await queue.join()  # nothing put: returns at once
    queue.put_nowait(1)
    queue.put_nowait(2)
    joined = asyncio.ensure_future(queue.join())
    queue.get_nowait()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError, match="too many times"):
        queue.task_done()
