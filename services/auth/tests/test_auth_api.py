"""The auth service's HTTP contract (docs/api.md, "Authentication" and "Auth and users"), end
to end through the real app, MongoDB wire server and RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from hintro_auth.app import PASSWORDS, create_app
from hintro_auth.config import AuthSettings
from hintro_auth.domain import hash_refresh_token
from hintro_auth.keys import private_key_pem, public_jwk, public_key_pem
from hintro_auth.passwords import Argon2Passwords
from hintro_auth.repository import REFRESH_TOKENS
from hintro_shared import jsonutil
from hintro_shared.events.envelope import parse_envelope
from hintro_shared.mongo import MONGO_DB
from hintro_shared.tokens import JwksKeySource, TokenVerifier
from hintro_testkit.events import delete_event_objects
from hintro_testkit.infra import mongo_url, rabbitmq_url, redis_url, unique, wait_for

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"

Client = TestClient[web.Request, web.Application]


@dataclass
class RunningAuth:
    """A started auth app and a client for it; every body it answers is kept for inspection."""

    client: Client
    app: web.Application
    settings: AuthSettings
    bodies: list[bytes] = field(default_factory=list)

    async def call(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        """Make a request and remember the response body."""
        response = await self.client.request(method, path, **kwargs)
        self.bodies.append(await response.read())
        return response

    async def register(
        self, email: str | None = None, password: str = PASSWORD, name: str = "Ada"
    ) -> dict[str, Any]:
        """Register (a fresh address by default) and return the 201 body."""
        email = email or f"{unique('user')}@example.com"
        response = await self.call(
            "POST", "/api/auth/register", json={"email": email, "password": password, "name": name}
        )
        assert response.status == 201, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and return the 200 body."""
        response = await self.call(
            "POST", "/api/auth/login", json={"email": email, "password": password}
        )
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


def auth_settings(tmp_path: Path, **overrides: Any) -> AuthSettings:
    """Settings for a test app: its own database, exchange and key file."""
    values: dict[str, Any] = {
        "environment": "test",
        "mongo_url": mongo_url(),
        "mongo_db": unique("test_auth"),
        "rabbitmq_url": rabbitmq_url(),
        "redis_url": redis_url(),
        "events_exchange": unique("test.auth.events"),
        "jwt_key_file": tmp_path / "keys" / "jwt-signing.pem",
        "startup_timeout_seconds": 10,
    }
    values.update(overrides)
    return AuthSettings(**values)


async def _drop(settings: AuthSettings) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        await client.drop_database(settings.database_name)
    finally:
        await client.close()
    connection = await aio_pika.connect_robust(settings.rabbitmq_url)
    async with connection:
        await delete_event_objects(connection, exchange=settings.events_exchange)


AuthFactory = Callable[..., contextlib.AbstractAsyncContextManager[RunningAuth]]


@pytest.fixture
def auth_factory(tmp_path: Path) -> AuthFactory:
    """Start an auth app: ``async with auth_factory(settings=..., passwords=...) as auth``."""

    @contextlib.asynccontextmanager
    async def start(
        settings: AuthSettings | None = None, passwords: Argon2Passwords | None = None
    ) -> AsyncIterator[RunningAuth]:
        settings = settings or auth_settings(tmp_path)
        app = create_app(settings)
        if passwords is not None:
            app[PASSWORDS] = passwords
        try:
            async with TestClient(TestServer(app)) as client:
                yield RunningAuth(client=client, app=app, settings=settings)
        finally:
            await _drop(settings)

    return start


@pytest.fixture
async def auth(auth_factory: AuthFactory) -> AsyncIterator[RunningAuth]:
    """A running auth app with default settings."""
    async with auth_factory() as running:
        yield running


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def test_register_answers_201_with_the_public_fields_only(auth: RunningAuth) -> None:
    response = await auth.call(
        "POST",
        "/api/auth/register",
        json={"email": "  Ada.Lovelace@Example.COM ", "password": PASSWORD, "name": "Ada"},
    )
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"id", "email", "name", "createdAt"}
    assert body["email"] == "ada.lovelace@example.com"
    assert body["name"] == "Ada"
    assert body["createdAt"].endswith("Z")


async def test_duplicate_email_in_another_case_is_409(auth: RunningAuth) -> None:
    await auth.register("grace@example.com")
    response = await auth.call(
        "POST",
        "/api/auth/register",
        json={"email": "GRACE@Example.com", "password": PASSWORD, "name": "Grace"},
    )
    assert response.status == 409
    assert response.content_type == PROBLEM


async def test_concurrent_registrations_of_one_email_let_exactly_one_win(
    auth: RunningAuth,
) -> None:
    email = f"{unique('race')}@example.com"
    responses = await asyncio.gather(
        *(
            auth.call(
                "POST",
                "/api/auth/register",
                json={
                    "email": email.upper() if odd else email,
                    "password": PASSWORD,
                    "name": "R",
                },
            )
            for odd in (False, True, False, True)
        )
    )
    assert sorted(r.status for r in responses) == [201, 409, 409, 409]


async def test_login_answers_a_bearer_token_pair_that_opens_me(auth: RunningAuth) -> None:
    user = await auth.register("alan@example.com")
    response = await auth.call(
        "POST", "/api/auth/login", json={"email": "Alan@Example.com", "password": PASSWORD}
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = await response.json()
    assert set(tokens) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    me = await auth.call("GET", "/api/auth/me", headers=_bearer(tokens))
    assert me.status == 200
    assert await me.json() == user


async def test_me_without_or_with_a_bad_token_is_401_with_challenge(auth: RunningAuth) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        response = await auth.call("GET", "/api/auth/me", headers=headers)
        assert response.status == 401
        assert response.content_type == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_wrong_password_and_unknown_email_get_the_same_401(auth: RunningAuth) -> None:
    await auth.register("edsger@example.com")
    wrong = await auth.call(
        "POST", "/api/auth/login", json={"email": "edsger@example.com", "password": "nope-nope"}
    )
    unknown = await auth.call(
        "POST", "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert wrong.status == unknown.status == 401
    assert await wrong.json() == await unknown.json()


class CountingPasswords(Argon2Passwords):
    """The real hasher, counting the verifications it performs."""

    def __init__(self) -> None:
        super().__init__("RFC_9106_LOW_MEMORY", 2)
        self.verifications: list[str] = []

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications.append(password_hash)
        return await super().verify(password_hash, password)


async def test_login_with_unknown_email_verifies_against_a_real_hash(
    auth_factory: AuthFactory,
) -> None:
    passwords = CountingPasswords()
    async with auth_factory(passwords=passwords) as auth:
        response = await auth.call(
            "POST", "/api/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
        )
        assert response.status == 401
    (checked,) = passwords.verifications
    # The same algorithm and cost as a real account's hash.
    assert checked.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def age_spent_token(running: RunningAuth, refresh_token: str, seconds: float) -> None:
    """Move a spent token's spend time ``seconds`` into the past, as if that long had gone by
    since its rotation (the reuse grace window is judged from it)."""
    tokens = running.app[MONGO_DB][REFRESH_TOKENS]
    token_hash = hash_refresh_token(refresh_token)
    stored = await tokens.find_one({"_id": token_hash})
    assert stored is not None
    assert stored["spent"]
    aged = stored["spentAt"] - int(seconds * 1000)
    await tokens.update_one({"_id": token_hash}, {"$set": {"spentAt": aged}})


async def test_refresh_rotates_and_reuse_after_the_window_revokes_the_family(
    auth: RunningAuth,
) -> None:
    await auth.register("barbara@example.com")
    first = await auth.login("barbara@example.com")
    response = await auth.call(
        "POST", "/api/auth/refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert response.status == 200
    second = await response.json()
    assert second["refreshToken"] != first["refreshToken"]
    assert (await auth.call("GET", "/api/auth/me", headers=_bearer(second))).status == 200
    # The first token is spent: presenting it again once the grace window is over is reuse...
    await age_spent_token(
        auth, first["refreshToken"], auth.settings.refresh_reuse_grace_seconds + 1
    )
    reuse = await auth.call(
        "POST", "/api/auth/refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert reuse.status == 401
    assert reuse.content_type == PROBLEM
    # ...and the family's live token stops working as well.
    live = await auth.call(
        "POST", "/api/auth/refresh", json={"refreshToken": second["refreshToken"]}
    )
    assert live.status == 401


async def test_concurrent_refreshes_of_one_token_both_succeed_with_one_successor(
    auth: RunningAuth,
) -> None:
    await auth.register("tabs@example.com")
    pair = await auth.login("tabs@example.com")
    body = {"refreshToken": pair["refreshToken"]}
    responses = await asyncio.gather(
        *(auth.call("POST", "/api/auth/refresh", json=body) for _ in range(4))
    )
    assert [response.status for response in responses] == [200] * 4
    answers = [await response.json() for response in responses]
    (successor,) = {answer["refreshToken"] for answer in answers}
    for answer in answers:
        assert (await auth.call("GET", "/api/auth/me", headers=_bearer(answer))).status == 200
    # Only the one successor was stored besides the login's token (the losers' were discarded).
    stored = await auth.app[MONGO_DB][REFRESH_TOKENS].count_documents({})
    assert stored == 2
    following = await auth.call("POST", "/api/auth/refresh", json={"refreshToken": successor})
    assert following.status == 200


async def test_a_logout_racing_refreshes_leaves_no_live_token(auth: RunningAuth) -> None:
    await auth.register("race-out@example.com")
    pair = await auth.login("race-out@example.com")
    body = {"refreshToken": pair["refreshToken"]}
    *refreshes, logout = await asyncio.gather(
        auth.call("POST", "/api/auth/refresh", json=body),
        auth.call("POST", "/api/auth/refresh", json=body),
        auth.call("POST", "/api/auth/logout", json=body),
    )
    assert logout.status == 204
    issued = [(await r.json())["refreshToken"] for r in refreshes if r.status == 200]
    for token in [pair["refreshToken"], *issued]:
        again = await auth.call("POST", "/api/auth/refresh", json={"refreshToken": token})
        assert again.status == 401, token


async def test_logout_is_204_revokes_the_session_and_is_idempotent(auth: RunningAuth) -> None:
    await auth.register("ken@example.com")
    tokens = await auth.login("ken@example.com")
    body = {"refreshToken": tokens["refreshToken"]}
    assert (await auth.call("POST", "/api/auth/logout", json=body)).status == 204
    assert (await auth.call("POST", "/api/auth/refresh", json=body)).status == 401
    assert (await auth.call("POST", "/api/auth/logout", json=body)).status == 204
    unknown = {"refreshToken": "never-issued"}
    assert (await auth.call("POST", "/api/auth/logout", json=unknown)).status == 204


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        pytest.param(b"{not json", {"Content-Type": "application/json"}, 400, id="bad-json"),
        pytest.param(b"email=a@b.co", {"Content-Type": "text/plain"}, 400, id="content-type"),
        pytest.param(
            jsonutil.dumps_bytes(
                {"email": "a@example.com", "password": PASSWORD, "name": "A", "admin": True}
            ),
            {"Content-Type": "application/json"},
            422,
            id="unknown-field",
        ),
        pytest.param(
            jsonutil.dumps_bytes({"email": "a@example.com", "password": "short", "name": "A"}),
            {"Content-Type": "application/json"},
            422,
            id="short-password",
        ),
        pytest.param(
            jsonutil.dumps_bytes({"email": "a@example.com", "password": "x" * 129, "name": "A"}),
            {"Content-Type": "application/json"},
            422,
            id="long-password",
        ),
        pytest.param(
            jsonutil.dumps_bytes({"email": "a@example.com", "password": PASSWORD, "name": ""}),
            {"Content-Type": "application/json"},
            422,
            id="empty-name",
        ),
        pytest.param(
            jsonutil.dumps_bytes({"email": "not-an-email", "password": PASSWORD, "name": "A"}),
            {"Content-Type": "application/json"},
            422,
            id="bad-email",
        ),
        pytest.param(
            jsonutil.dumps_bytes(
                {"email": "a@example.com", "password": PASSWORD, "name": "A" * (1024 * 1024)}
            ),
            {"Content-Type": "application/json"},
            413,
            id="over-1-MiB",
        ),
    ],
)
async def test_bad_register_request_is_a_problem_and_creates_nothing(
    auth: RunningAuth, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = await auth.call("POST", "/api/auth/register", data=body, headers=headers)
    assert response.status == status
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert problem["status"] == status
    if status == 422:
        assert problem["errors"]
    login = await auth.call(
        "POST", "/api/auth/login", json={"email": "a@example.com", "password": PASSWORD}
    )
    assert login.status == 401


async def test_validation_errors_do_not_echo_the_password(auth: RunningAuth) -> None:
    response = await auth.call(
        "POST",
        "/api/auth/register",
        json={"email": "a@example.com", "password": "secret1", "name": "A"},
    )
    assert response.status == 422
    assert b"secret1" not in await response.read()


async def test_no_response_ever_contains_a_password_hash(auth: RunningAuth) -> None:
    user = await auth.register("hash@example.com")
    tokens = await auth.login("hash@example.com")
    await auth.call("GET", "/api/auth/me", headers=_bearer(tokens))
    await auth.call("POST", "/api/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    await auth.call("POST", "/api/auth/register", json={"email": "hash@example.com"})
    assert user
    for body in auth.bodies:
        assert b"argon2" not in body
        assert b"passwordHash" not in body
        assert b"password_hash" not in body
        assert PASSWORD.encode() not in body


async def test_user_registered_event_is_published(auth: RunningAuth) -> None:
    connection = await aio_pika.connect(auth.settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(auth.settings.events_exchange, routing_key="user.registered")
        user = await auth.register("event@example.com", name="Eve")

        async def received() -> aio_pika.abc.AbstractIncomingMessage | None:
            return await queue.get(no_ack=True, fail=False)

        message = await wait_for(received, within=10, what="user.registered message")
    envelope = parse_envelope(message.body)
    assert envelope.type == "user.registered"
    assert envelope.source == "hintro/auth"
    assert envelope.actor_id == user["id"]
    assert envelope.data == {"userId": user["id"], "email": "event@example.com", "name": "Eve"}
    assert b"argon2" not in message.body
    assert PASSWORD.encode() not in message.body


async def test_failed_registration_publishes_no_event(auth: RunningAuth) -> None:
    await auth.register("once@example.com")
    connection = await aio_pika.connect(auth.settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(auth.settings.events_exchange, routing_key="user.registered")
        response = await auth.call(
            "POST",
            "/api/auth/register",
            json={"email": "ONCE@example.com", "password": PASSWORD, "name": "Twice"},
        )
        assert response.status == 409
        marker = await auth.register("marker@example.com")  # events of one producer stay in order

        async def received() -> aio_pika.abc.AbstractIncomingMessage | None:
            return await queue.get(no_ack=True, fail=False)

        message = await wait_for(received, within=10, what="marker event")
    assert parse_envelope(message.body).data["userId"] == marker["id"]


async def test_jwks_is_public_and_cacheable(auth: RunningAuth) -> None:
    response = await auth.call("GET", "/api/auth/.well-known/jwks.json")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    (key,) = (await response.json())["keys"]
    assert key["kty"] == "EC"
    assert key["alg"] == "ES256"
    assert "d" not in key


async def test_after_rotation_jwks_has_both_keys_and_old_tokens_still_work(
    auth_factory: AuthFactory, tmp_path: Path
) -> None:
    old_key, new_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    before = auth_settings(tmp_path, jwt_private_key=private_key_pem(old_key).decode())
    async with auth_factory(settings=before) as old_auth:
        await old_auth.register("rotate@example.com")
        old_tokens = await old_auth.login("rotate@example.com")
        # The restarted service keeps the database (the fixture drops it on the way out).
        after = before.model_copy(
            update={
                "jwt_private_key": SecretStr(private_key_pem(new_key).decode()),
                "jwt_previous_public_keys": public_key_pem(old_key.public_key()).decode(),
            }
        )
        async with auth_factory(settings=after) as new_auth:
            jwks = await (await new_auth.call("GET", "/api/auth/.well-known/jwks.json")).json()
            assert [key["kid"] for key in jwks["keys"]] == [
                public_jwk(new_key.public_key())["kid"],
                public_jwk(old_key.public_key())["kid"],
            ]
            me = await new_auth.call("GET", "/api/auth/me", headers=_bearer(old_tokens))
            assert me.status == 200
            # A verifier elsewhere (the gateway) learns the keys from the JWKS URL.
            source = JwksKeySource(str(new_auth.client.make_url("/api/auth/.well-known/jwks.json")))
            verifier = TokenVerifier(source, issuer=after.jwt_issuer, audience=after.jwt_audience)
            try:
                new_tokens = await new_auth.login("rotate@example.com")
                for tokens in (old_tokens, new_tokens):
                    assert (await verifier.verify(tokens["accessToken"])).sub
            finally:
                await source.close()
