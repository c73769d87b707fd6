"""Browser sessions (the refresh token in an HttpOnly cookie, trusted origins only) and
``PATCH /api/auth/me`` (rename with ``user.renamed``; password change ending the other
sessions), through the real app, MongoDB wire server and RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aiohttp import ClientResponse

from hintro_auth.cookies import SessionCookie
from hintro_shared.events.envelope import parse_envelope
from hintro_testkit.infra import unique, wait_for
from services.auth.tests.test_auth_api import (
    PASSWORD,
    AuthFactory,
    RunningAuth,
    age_spent_token,
)
from services.auth.tests.test_auth_api import auth_factory as auth_factory

pytestmark = pytest.mark.integration

TRUSTED = {"X-Origin-Trusted": "1"}


@pytest.fixture
async def auth(auth_factory: AuthFactory) -> AsyncIterator[RunningAuth]:
    async with auth_factory() as running:
        yield running


def cookie_of(response: ClientResponse) -> str:
    """The ``hintro_refresh`` value a response set (empty when it cleared it)."""
    header = response.headers["Set-Cookie"]
    name, _, rest = header.partition("=")
    assert name == "hintro_refresh"
    return rest.split(";", 1)[0]


def attributes_of(response: ClientResponse) -> set[str]:
    return {part.strip() for part in response.headers["Set-Cookie"].split(";")[1:]}


async def post(
    auth: RunningAuth,
    path: str,
    *,
    cookie: str | None = None,
    trusted: bool = True,
    **kwargs: Any,
) -> ClientResponse:
    """POST as a browser would: only the cookie named here (the test client's own jar, which
    would keep every cookie it is sent, is emptied first), from a trusted origin or not."""
    auth.client.session.cookie_jar.clear()
    headers = {**(TRUSTED if trusted else {}), **kwargs.pop("headers", {})}
    if cookie is not None:
        headers["Cookie"] = f"hintro_refresh={cookie}"
    return await auth.call("POST", path, headers=headers, **kwargs)


async def cookie_login(auth: RunningAuth, email: str) -> tuple[dict[str, Any], str]:
    response = await post(
        auth, "/api/auth/login", json={"email": email, "password": PASSWORD, "session": "cookie"}
    )
    assert response.status == 200, await response.text()
    return await response.json(), cookie_of(response)


async def test_cookie_login_refresh_and_logout(auth: RunningAuth) -> None:
    user = await auth.register()
    body, cookie = await cookie_login(auth, user["email"])
    assert set(body) == {"accessToken", "tokenType", "expiresIn"}
    me = await auth.call(
        "GET", "/api/auth/me", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert (await me.json())["id"] == user["id"]

    # Refresh from the cookie: with {} or with no body at all; the cookie rotates.
    first = await post(auth, "/api/auth/refresh", cookie=cookie, json={})
    assert first.status == 200, await first.text()
    assert set(await first.json()) == {"accessToken", "tokenType", "expiresIn"}
    max_age = f"Max-Age={auth.settings.refresh_token_ttl_seconds}"
    assert attributes_of(first) == {"HttpOnly", "SameSite=Strict", "Path=/api/auth", max_age}
    rotated = cookie_of(first)
    assert rotated
    assert rotated != cookie
    second = await post(auth, "/api/auth/refresh", cookie=rotated)
    assert second.status == 200
    current = cookie_of(second)

    # The spent cookie again within the grace window (another tab) gets the same successor.
    other_tab = await post(auth, "/api/auth/refresh", cookie=rotated, json={})
    assert other_tab.status == 200
    assert cookie_of(other_tab) == current

    # After the window it is reuse: 401, the cookie cleared, the family revoked.
    await age_spent_token(auth, rotated, auth.settings.refresh_reuse_grace_seconds + 1)
    reused = await post(auth, "/api/auth/refresh", cookie=rotated, json={})
    assert reused.status == 401
    assert cookie_of(reused) == ""
    assert "Max-Age=0" in attributes_of(reused)
    revoked = await post(auth, "/api/auth/refresh", cookie=current, json={})
    assert revoked.status == 401

    # Logout from the cookie ends that session and clears the cookie.
    _, cookie = await cookie_login(auth, user["email"])
    out = await post(auth, "/api/auth/logout", cookie=cookie)
    assert out.status == 204
    assert cookie_of(out) == ""
    after = await post(auth, "/api/auth/refresh", cookie=cookie, json={})
    assert after.status == 401


async def test_cookie_requests_need_a_trusted_origin(auth: RunningAuth) -> None:
    user = await auth.register()
    _, cookie = await cookie_login(auth, user["email"])
    login = {"email": user["email"], "password": PASSWORD, "session": "cookie"}
    register = {**login, "email": f"{unique('x')}@example.com", "name": "X"}
    refused = [
        await post(auth, "/api/auth/login", trusted=False, json=login),
        await post(auth, "/api/auth/refresh", cookie=cookie, trusted=False, json={}),
        await post(auth, "/api/auth/logout", cookie=cookie, trusted=False),
        await post(auth, "/api/auth/register", trusted=False, json=register),
    ]
    for response in refused:
        assert response.status == 403
        assert response.content_type == "application/problem+json"
        assert "Set-Cookie" not in response.headers
    # Nothing happened: the session still refreshes.
    still = await post(auth, "/api/auth/refresh", cookie=cookie, json={})
    assert still.status == 200
    # No cookie and no token: 401.
    none = await post(auth, "/api/auth/refresh", json={})
    assert none.status == 401


async def test_cookie_register_signs_in_and_json_mode_is_unchanged(auth: RunningAuth) -> None:
    email = f"{unique('reg')}@example.com"
    response = await auth.call(
        "POST",
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Reg", "session": "cookie"},
        headers=TRUSTED,
    )
    assert response.status == 201, await response.text()
    assert set(await response.json()) == {"accessToken", "tokenType", "expiresIn"}
    assert cookie_of(response)
    plain = await auth.login(email)
    assert set(plain) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    refreshed = await auth.call(
        "POST", "/api/auth/refresh", json={"refreshToken": plain["refreshToken"]}
    )
    assert refreshed.status == 200
    assert "Set-Cookie" not in refreshed.headers
    assert "refreshToken" in await refreshed.json()


def test_cookie_is_secure_outside_development_and_test() -> None:
    assert "Secure" in SessionCookie.for_environment("production", 60).set_header("t")
    assert "Secure" in SessionCookie.for_environment("production", 60).clear_header()
    for environment in ("development", "test"):
        assert "Secure" not in SessionCookie.for_environment(environment, 60).set_header("t")


async def test_patch_me_renames_and_publishes_user_renamed(auth: RunningAuth) -> None:
    user = await auth.register(name="Ada")
    tokens = await auth.login(user["email"])
    bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
    connection = await aio_pika.connect(auth.settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(auth.settings.events_exchange, routing_key="user.renamed")
        response = await auth.call(
            "PATCH", "/api/auth/me", json={"name": "  Ada Lovelace "}, headers=bearer
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body == {**user, "name": "Ada Lovelace"}

        async def received() -> aio_pika.abc.AbstractIncomingMessage | None:
            return await queue.get(no_ack=True, fail=False)

        message = await wait_for(received, within=10, what="user.renamed message")
    envelope = parse_envelope(message.body)
    assert envelope.data == {"userId": user["id"], "name": "Ada Lovelace"}
    assert envelope.actor_id == user["id"]
    me = await auth.call("GET", "/api/auth/me", headers=bearer)
    assert (await me.json())["name"] == "Ada Lovelace"


async def test_patch_me_password_change_keeps_only_this_session(auth: RunningAuth) -> None:
    user = await auth.register()
    mine = await auth.login(user["email"])
    other = await auth.login(user["email"])
    bearer = {"Authorization": f"Bearer {mine['accessToken']}"}
    wrong = await auth.call(
        "PATCH",
        "/api/auth/me",
        json={"currentPassword": "not the password", "newPassword": "brand new pass"},
        headers=bearer,
    )
    assert wrong.status == 403
    assert wrong.content_type == "application/problem+json"
    for body in (
        {},
        {"newPassword": "brand new pass"},
        {"currentPassword": PASSWORD},
        {"name": None},
        {"name": "x", "admin": True},
        {"currentPassword": PASSWORD, "newPassword": "short"},
    ):
        invalid = await auth.call("PATCH", "/api/auth/me", json=body, headers=bearer)
        assert invalid.status == 422, body
    changed = await auth.call(
        "PATCH",
        "/api/auth/me",
        json={"currentPassword": PASSWORD, "newPassword": "brand new pass"},
        headers=bearer,
    )
    assert changed.status == 200, await changed.text()
    kept = await post(auth, "/api/auth/refresh", json={"refreshToken": mine["refreshToken"]})
    assert kept.status == 200
    ended = await post(auth, "/api/auth/refresh", json={"refreshToken": other["refreshToken"]})
    assert ended.status == 401
    old = await auth.call(
        "POST", "/api/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    assert old.status == 401
    await auth.login(user["email"], "brand new pass")
    assert (await auth.call("PATCH", "/api/auth/me", json={"name": "X"})).status == 401
