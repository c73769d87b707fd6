"""argon2id hashing off the event loop: real hashes verify, parameters changes are detected,
and no more hashes run at once than the concurrency setting allows."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import argon2
import pytest

from hintro_auth.passwords import Argon2Passwords, PasswordWorkBusy


@pytest.fixture
async def cheap() -> AsyncIterator[Argon2Passwords]:
    passwords = Argon2Passwords("CHEAPEST", concurrency=2)
    await passwords.start()
    yield passwords
    passwords.close()


async def test_hash_verifies_only_the_right_password(cheap: Argon2Passwords) -> None:
    hashed = await cheap.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert await cheap.verify(hashed, "correct horse battery")
    assert not await cheap.verify(hashed, "wrong horse battery")
    assert not await cheap.verify("not-a-hash", "correct horse battery")


async def test_hash_from_weaker_parameters_needs_rehash(cheap: Argon2Passwords) -> None:
    weak = await cheap.hash("correct horse battery")
    default = Argon2Passwords()  # RFC 9106 low-memory profile
    assert default.needs_rehash(weak)
    assert not cheap.needs_rehash(weak)
    assert default.needs_rehash("garbage")


def test_default_profile_is_rfc_9106_low_memory() -> None:
    strong = argon2.PasswordHasher.from_parameters(argon2.profiles.RFC_9106_LOW_MEMORY)
    assert not Argon2Passwords().needs_rehash(strong.hash("correct horse battery"))


class TrackingHasher:
    """Wraps argon2's hasher, recording how many hashes run at the same moment."""

    def __init__(self, real: argon2.PasswordHasher) -> None:
        self._real = real
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def hash(self, password: str) -> str:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.02)  # stands in for argon2's CPU time so that calls overlap
            return self._real.hash(password)
        finally:
            with self._lock:
                self.running -= 1


async def test_no_more_hashes_run_at_once_than_the_concurrency_allows() -> None:
    passwords = Argon2Passwords("CHEAPEST", concurrency=2)
    await passwords.start()
    tracker = TrackingHasher(passwords._hasher)
    passwords._hasher = tracker  # type: ignore[assignment]
    try:
        await asyncio.gather(*(passwords.hash(f"password-{i}") for i in range(8)))
    finally:
        passwords.close()
    assert tracker.peak == 2


async def test_hashing_does_not_block_the_event_loop() -> None:
    passwords = Argon2Passwords("RFC_9106_LOW_MEMORY", concurrency=1)
    await passwords.start()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        await passwords.hash("correct horse battery")
    finally:
        task.cancel()
        passwords.close()
    # A ~100 ms hash on the loop would have allowed a single tick.
    assert ticks > 3


class BlockingHasher:
    """Wraps argon2's hasher; ``verify`` holds its thread until released, so a test decides
    when the hashing slot frees up."""

    def __init__(self, real: argon2.PasswordHasher) -> None:
        self._real = real
        self.entered = threading.Event()
        self.release = threading.Event()

    def hash(self, password: str) -> str:
        return self._real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.entered.set()
        self.release.wait(10)
        return self._real.verify(password_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self._real.check_needs_rehash(password_hash)


async def test_past_the_queue_limit_hashing_is_refused_at_once_with_503() -> None:
    passwords = Argon2Passwords("CHEAPEST", concurrency=1, queue_limit=1)
    await passwords.start()
    stored = await passwords.hash("pw")
    blocking = BlockingHasher(passwords._hasher)
    passwords._hasher = blocking  # type: ignore[assignment]
    try:
        running = asyncio.create_task(passwords.verify(stored, "pw"))
        queued = asyncio.create_task(passwords.verify(stored, "pw"))
        await asyncio.to_thread(blocking.entered.wait, 5)
        started = time.perf_counter()
        with pytest.raises(PasswordWorkBusy) as refused:
            await passwords.verify(stored, "pw")
        assert time.perf_counter() - started < 0.5  # refused, not queued
        assert refused.value.status == 503
        assert refused.value.headers["Retry-After"] == "1"
        blocking.release.set()
        assert await running
        assert await queued  # the one that fitted in the queue still ran
        assert await passwords.verify(stored, "pw")  # the queue drained: accepted again
    finally:
        blocking.release.set()
        passwords.close()
