"""The outgoing queue of one Engine.IO socket, lighter than the ``asyncio.Queue`` Engine.IO
makes by default.

Every socket holds one queue for its whole life and its writer task waits on it almost all the
time: with 10,000 idle sockets in a process, the queue and the wait are a good part of each
socket's memory. ``asyncio.Queue`` keeps three deques and an ``Event`` (about 3 KB), and its
``get()`` is a coroutine, so Engine.IO's ``wait_for(queue.get(), ...)`` wraps it in one more task
per wait. This queue keeps a list and at most one waiting future (a socket's queue has one
consumer: its writer, or the long-polling request), and ``get()`` returns that future, which
``wait_for`` awaits as it is.

It implements what Engine.IO calls (``get``, ``get_nowait``, ``put``, ``put_nowait``,
``task_done``, ``join``) with ``asyncio.Queue``'s meaning, ``asyncio.QueueEmpty`` included.
"""

from __future__ import annotations

import asyncio
from typing import Any


class SocketQueue:
    """A FIFO for a single consumer; see the module docstring."""

    __slots__ = ("_getter", "_items", "_joined", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getter: asyncio.Future[Any] | None = None
        self._unfinished = 0
        self._joined: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        """Append ``item``, or hand it straight to the waiting consumer."""
        self._unfinished += 1
        getter, self._getter = self._getter, None
        if getter is not None and not getter.done():
            getter.set_result(item)
        else:
            self._items.append(item)

    async def put(self, item: Any) -> None:
        """Never waits (the queue is unbounded, as Engine.IO's is)."""
        self.put_nowait(item)

    def get(self) -> asyncio.Future[Any]:
        """A future of the next item (awaiting it is ``await queue.get()``); cancelling it
        (a timed-out wait) loses nothing."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._items:
            future.set_result(self._items.pop(0))
        else:
            previous, self._getter = self._getter, future
            if previous is not None and not previous.done():
                previous.cancel()  # one consumer: an abandoned wait gives way to the new one
        return future

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joined is not None:
            joined, self._joined = self._joined, None
            if not joined.done():
                joined.set_result(None)

    async def join(self) -> None:
        """Wait until every item put has been marked done."""
        if self._unfinished == 0:
            return
        if self._joined is None or self._joined.done():
            self._joined = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._joined)
