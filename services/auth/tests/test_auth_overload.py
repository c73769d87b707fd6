"""A login flood against auth: past the hashing queue a login is answered 503 with Retry-After
at once, while the routes that hash nothing keep answering."""

from __future__ import annotations

import asyncio
import time

import pytest

from hintro_auth.passwords import Argon2Passwords
from services.auth.tests.test_auth_api import PASSWORD, PROBLEM, AuthFactory, auth_factory
from services.auth.tests.test_auth_passwords import BlockingHasher

pytestmark = pytest.mark.integration
__all__ = ["auth_factory"]  # the fixture, imported for this module's tests


async def test_a_full_hashing_queue_answers_503_fast_and_cheap_routes_still_work(
    auth_factory: AuthFactory,
) -> None:
    passwords = Argon2Passwords("CHEAPEST", concurrency=1, queue_limit=0)
    async with auth_factory(passwords=passwords) as auth:
        user = await auth.register(password=PASSWORD)
        blocking = BlockingHasher(passwords._hasher)
        passwords._hasher = blocking  # type: ignore[assignment]
        try:
            credentials = {"email": user["email"], "password": PASSWORD}
            first = asyncio.create_task(auth.call("POST", "/api/auth/login", json=credentials))
            await asyncio.to_thread(blocking.entered.wait, 5)
            started = time.perf_counter()
            refused = await auth.call("POST", "/api/auth/login", json=credentials)
            assert time.perf_counter() - started < 1.0
            assert refused.status == 503
            assert refused.content_type == PROBLEM
            assert refused.headers["Retry-After"] == "1"
            jwks = await auth.call("GET", "/api/auth/.well-known/jwks.json")
            assert jwks.status == 200
            blocking.release.set()
            assert (await first).status == 200
        finally:
            blocking.release.set()
