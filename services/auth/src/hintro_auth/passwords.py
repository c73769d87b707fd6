"""Password hashing with argon2id (argon2-cffi), off the event loop and bounded.

Each low-memory-profile hash takes 64 MiB and tens of milliseconds of CPU. Hashes run on a
dedicated thread pool (argon2-cffi releases the GIL), at most ``concurrency`` at once: extra
logins wait their turn on a semaphore instead of exhausting memory, and while they wait the
event loop keeps serving everything else. At most ``queue_limit`` wait: beyond that a login
flood gets a fast ``503`` with ``Retry-After`` instead of joining a queue that would outlast
its callers' timeouts.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from hintro_shared.problems import Problem

T = TypeVar("T")


class PasswordWorkBusy(Problem):
    """503: every hashing slot is busy and the queue in front of them is full."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            "Too many sign-ins are being checked right now; retry shortly.",
            headers={"Retry-After": str(retry_after)},
        )


class Argon2Passwords:
    """Hashes and verifies passwords with argon2id at one of argon2-cffi's named profiles."""

    def __init__(
        self, profile: str = "RFC_9106_LOW_MEMORY", concurrency: int = 2, queue_limit: int = 32
    ) -> None:
        parameters = getattr(argon2.profiles, profile)
        self._hasher = argon2.PasswordHasher.from_parameters(parameters)
        self._concurrency = concurrency
        self._queue_limit = queue_limit
        self._waiting = 0
        self._semaphore: asyncio.Semaphore | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._dummy_hash: str | None = None

    async def start(self) -> None:
        """Create the pool and the dummy hash unknown e-mails are checked against."""
        self._semaphore = asyncio.Semaphore(self._concurrency)
        self._executor = ThreadPoolExecutor(
            max_workers=self._concurrency, thread_name_prefix="argon2"
        )
        self._dummy_hash = await self.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        """Stop the pool; queued hashes are dropped."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        if self._semaphore is None or self._executor is None:
            raise RuntimeError("Argon2Passwords.start() was not awaited")
        if self._semaphore.locked():
            if self._waiting >= self._queue_limit:
                raise PasswordWorkBusy(retry_after=1)
            self._waiting += 1
            try:
                await self._semaphore.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._semaphore.acquire()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._semaphore.release()

    async def hash(self, password: str) -> str:
        """An encoded argon2id hash (parameters and salt included) of ``password``."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; a malformed hash never matches."""
        try:
            return await self._run(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_dummy(self, password: str) -> None:
        """Spend what a real verification costs, for logins with an unknown e-mail, so the
        response time does not tell unknown addresses from wrong passwords."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current profile's."""
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except InvalidHashError:
            return True
