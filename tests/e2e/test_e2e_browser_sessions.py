"""Browser sessions end to end, through the gateway: the refresh token lives in an HttpOnly,
SameSite=Strict cookie scoped to /api/auth; login, refresh and logout work from it; requests
whose Origin is missing, foreign or forged are refused (403)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio

from hintro_devtools.stack import Stack
from tests.e2e.boards_helpers import PASSWORD, Reply


@pytest_asyncio.fixture(loop_scope="session")
async def browser(stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that keeps no cookies of its own: each test names the cookie it sends."""
    async with aiohttp.ClientSession(
        base_url=f"{stack.gateway_url}/", cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        yield session


async def _post(
    http: aiohttp.ClientSession,
    path: str,
    *,
    origin: str | None,
    cookie: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    if origin is not None:
        sent["Origin"] = origin
    if cookie is not None:
        sent["Cookie"] = f"hintro_refresh={cookie}"
    kwargs: dict[str, Any] = {"headers": sent}
    if body is not None:
        kwargs["json"] = body
    async with http.post(path, **kwargs) as response:
        text = await response.text()
        return Reply(response.status, response.headers, response.content_type, text)


def _cookie(reply: Reply) -> tuple[str, set[str]]:
    """The ``hintro_refresh`` value a reply set and the cookie's attributes."""
    name, _, rest = reply.headers["Set-Cookie"].partition("=")
    assert name == "hintro_refresh"
    value, *attributes = (part.strip() for part in rest.split(";"))
    return value, set(attributes)


async def test_cookie_session_lifecycle(stack: Stack, browser: aiohttp.ClientSession) -> None:
    own = stack.gateway_url
    email = f"e2e-cookie-{uuid.uuid4().hex[:12]}@hintro.dev"
    credentials = {"email": email, "password": PASSWORD, "session": "cookie"}
    registered = await _post(
        browser, "api/auth/register", origin=own, body={**credentials, "name": "Cookie"}
    )
    assert registered.status == 201, registered.text
    assert set(registered.body) == {"accessToken", "tokenType", "expiresIn"}
    cookie, attributes = _cookie(registered)
    assert attributes >= {"HttpOnly", "SameSite=Strict", "Path=/api/auth"}
    assert any(item.startswith("Max-Age=") and item != "Max-Age=0" for item in attributes)
    assert "Secure" not in attributes  # ENVIRONMENT=test: served over plain HTTP

    login = await _post(browser, "api/auth/login", origin=own, body=credentials)
    assert login.status == 200, login.text
    assert "refreshToken" not in login.body
    cookie, _ = _cookie(login)

    refreshed = await _post(browser, "api/auth/refresh", origin=own, cookie=cookie, body={})
    assert refreshed.status == 200, refreshed.text
    access = refreshed.body["accessToken"]
    rotated, _ = _cookie(refreshed)
    assert rotated != cookie
    async with browser.get("api/auth/me", headers={"Authorization": f"Bearer {access}"}) as me:
        assert (await me.json())["email"] == email

    # No body at all works too.
    again = await _post(browser, "api/auth/refresh", origin=own, cookie=rotated)
    assert again.status == 200, again.text
    current, _ = _cookie(again)

    out = await _post(browser, "api/auth/logout", origin=own, cookie=current)
    assert out.status == 204
    cleared, attributes = _cookie(out)
    assert cleared == ""
    assert "Max-Age=0" in attributes
    gone = await _post(browser, "api/auth/refresh", origin=own, cookie=current, body={})
    gone.assert_problem(401)


async def test_cookie_requests_from_elsewhere_are_refused(
    stack: Stack, browser: aiohttp.ClientSession
) -> None:
    own = stack.gateway_url
    email = f"e2e-cookie-{uuid.uuid4().hex[:12]}@hintro.dev"
    credentials = {"email": email, "password": PASSWORD, "session": "cookie"}
    registered = await _post(
        browser, "api/auth/register", origin=own, body={**credentials, "name": "Cookie"}
    )
    cookie, _ = _cookie(registered)
    for origin in (None, "https://evil.example"):
        (await _post(browser, "api/auth/login", origin=origin, body=credentials)).assert_problem(
            403
        )
        for path, body in (("api/auth/refresh", {}), ("api/auth/logout", None)):
            reply = await _post(browser, path, origin=origin, cookie=cookie, body=body)
            reply.assert_problem(403)
            assert "Set-Cookie" not in reply.headers
    forged = await _post(
        browser,
        "api/auth/refresh",
        origin="https://evil.example",
        cookie=cookie,
        body={},
        headers={"X-Origin-Trusted": "1"},
    )
    forged.assert_problem(403)
    # None of that touched the session.
    still = await _post(browser, "api/auth/refresh", origin=own, cookie=cookie, body={})
    assert still.status == 200, still.text
