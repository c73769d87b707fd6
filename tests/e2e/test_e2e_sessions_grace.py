"""Two tabs, one session, end to end through the gateway: concurrent refreshes of one refresh
token (body tokens and browser cookies) all succeed with one successor; a replay after the
reuse grace window revokes the family; a logout racing refreshes leaves no live token."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio
from pymongo import AsyncMongoClient

from hintro_devtools.stack import Stack
from tests.e2e.boards_helpers import PASSWORD

# The auth service's default (REFRESH_REUSE_GRACE_SECONDS); the e2e stack does not change it.
GRACE_SECONDS = 10.0


@pytest_asyncio.fixture(loop_scope="session")
async def jarless(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that keeps no cookies of its own (each call names the cookie it sends) and
    sends the gateway's own origin, as the web app does."""
    async with aiohttp.ClientSession(
        base_url=f"{stack.gateway_url}/",
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"Origin": stack.gateway_url},
    ) as session:
        yield session


async def _login(http: aiohttp.ClientSession, **extra: Any) -> tuple[dict[str, Any], str]:
    """A fresh account's session: the body, and the ``hintro_refresh`` cookie (or "")."""
    email = f"e2e-tabs-{uuid.uuid4().hex[:12]}@hintro.dev"
    credentials = {"email": email, "password": PASSWORD}
    async with http.post("api/auth/register", json={**credentials, "name": "Tabs"}) as response:
        assert response.status == 201, await response.text()
    async with http.post("api/auth/login", json={**credentials, **extra}) as login:
        assert login.status == 200, await login.text()
        return await login.json(), _cookie(login)


def _cookie(response: aiohttp.ClientResponse) -> str:
    header = response.headers.get("Set-Cookie", "")
    name, _, rest = header.partition("=")
    return rest.split(";", 1)[0] if name == "hintro_refresh" else ""


async def _refresh_body(http: aiohttp.ClientSession, token: str) -> tuple[int, dict[str, Any]]:
    async with http.post("api/auth/refresh", json={"refreshToken": token}) as response:
        return response.status, await response.json()


async def _refresh_cookie(http: aiohttp.ClientSession, cookie: str) -> tuple[int, str, str]:
    """Status, the access token (or "") and the cookie the answer set."""
    headers = {"Cookie": f"hintro_refresh={cookie}"}
    async with http.post("api/auth/refresh", headers=headers) as response:
        body = await response.json()
        return response.status, body.get("accessToken", ""), _cookie(response)


async def _me(http: aiohttp.ClientSession, access: str) -> int:
    async with http.get("api/auth/me", headers={"Authorization": f"Bearer {access}"}) as response:
        return response.status


async def age_spent_token(stack: Stack, token: str, seconds: float) -> None:
    """Move the spent token's spend time into the past, as if ``seconds`` had gone by."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.infra_env["MONGO_URL"])
    try:
        tokens = client[str(stack.mongo_db("auth"))]["refresh_tokens"]
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        stored = await tokens.find_one({"_id": token_hash})
        assert stored is not None
        assert stored["spent"]
        aged = stored["spentAt"] - int(seconds * 1000)
        await tokens.update_one({"_id": token_hash}, {"$set": {"spentAt": aged}})
    finally:
        await client.close()


async def test_two_concurrent_refreshes_both_stay_signed_in(
    stack: Stack, jarless: aiohttp.ClientSession
) -> None:
    http = jarless
    pair, _ = await _login(http)
    results = await asyncio.gather(*(_refresh_body(http, pair["refreshToken"]) for _ in range(2)))
    assert [status for status, _ in results] == [200, 200]
    (successor,) = {body["refreshToken"] for _, body in results}
    assert successor != pair["refreshToken"]
    for _, body in results:
        assert await _me(http, body["accessToken"]) == 200
    # The one successor keeps the session going.
    status, following = await _refresh_body(http, successor)
    assert status == 200
    assert following["refreshToken"] not in {successor, pair["refreshToken"]}


async def test_two_tabs_refreshing_one_cookie_keep_the_session(
    stack: Stack, jarless: aiohttp.ClientSession
) -> None:
    http = jarless
    _, cookie = await _login(http, session="cookie")
    assert cookie
    results = await asyncio.gather(*(_refresh_cookie(http, cookie) for _ in range(2)))
    assert [status for status, _, _ in results] == [200, 200]
    (successor,) = {set_cookie for _, _, set_cookie in results}
    assert successor not in {"", cookie}
    for _, access, _ in results:
        assert await _me(http, access) == 200
    status, _, following = await _refresh_cookie(http, successor)
    assert status == 200
    assert following not in {"", successor}


async def test_a_replay_after_the_window_revokes_the_family(
    stack: Stack, jarless: aiohttp.ClientSession
) -> None:
    http = jarless
    stolen, _ = await _login(http)
    status, legit = await _refresh_body(http, stolen["refreshToken"])
    assert status == 200
    await age_spent_token(stack, stolen["refreshToken"], GRACE_SECONDS + 1)
    status, problem = await _refresh_body(http, stolen["refreshToken"])
    assert status == 401
    assert problem["status"] == 401
    # The victim's live token is refused too: the family is gone.
    status, _ = await _refresh_body(http, legit["refreshToken"])
    assert status == 401


async def test_a_logout_during_refreshes_leaves_no_live_token(
    stack: Stack, jarless: aiohttp.ClientSession
) -> None:
    http = jarless
    pair, _ = await _login(http)
    token = pair["refreshToken"]

    async def logout() -> int:
        async with http.post("api/auth/logout", json={"refreshToken": token}) as response:
            return response.status

    first, second, out = await asyncio.gather(
        _refresh_body(http, token), _refresh_body(http, token), logout()
    )
    assert out == 204
    issued = [body["refreshToken"] for status, body in (first, second) if status == 200]
    for candidate in {token, *issued}:
        status, _ = await _refresh_body(http, candidate)
        assert status == 401, candidate
