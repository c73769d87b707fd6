"""JwksKeySource against a real (tiny) HTTP server: keys are fetched on demand, a rotated-in
kid is learnt by refetching, made-up kids cannot make it hammer the server, and an unreachable
JWKS is reported as a dependency failure rather than a forged token."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app
from hintro_shared.tokens import (
    InvalidToken,
    JwksKeySource,
    KeysUnavailable,
    TokenVerifier,
    authenticate,
    token_verifier_ctx,
)

ISSUER = "hintro-auth"
AUDIENCE = "hintro"


def _jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    public = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


def _token(key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 900,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


@dataclass
class FakeAuth:
    """The JWKS endpoint of a pretend auth service whose keys the test changes."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    broken: bool = False

    async def jwks(self, _: web.Request) -> web.Response:
        self.requests += 1
        if self.broken:
            return web.Response(status=503)
        return web.json_response({"keys": self.keys})


@pytest.fixture
async def fake_auth() -> AsyncIterator[tuple[FakeAuth, str]]:
    auth = FakeAuth()
    app = web.Application()
    app.router.add_get("/api/auth/.well-known/jwks.json", auth.jwks)
    server = TestServer(app)
    await server.start_server()
    try:
        yield auth, str(server.make_url("/api/auth/.well-known/jwks.json"))
    finally:
        await server.close()


async def test_key_is_fetched_once_and_then_served_from_cache(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    key = ec.generate_private_key(ec.SECP256R1())
    auth.keys = [_jwk(key, "k1")]
    source = JwksKeySource(url)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, cache_size=0)
    try:
        for _ in range(3):
            assert (await verifier.verify(_token(key, "k1"))).sub == "user-1"
        assert auth.requests == 1
    finally:
        await source.close()


async def test_rotated_in_key_is_fetched_on_demand(fake_auth: tuple[FakeAuth, str]) -> None:
    auth, url = fake_auth
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    auth.keys = [_jwk(old, "old")]
    source = JwksKeySource(url, min_refetch_interval=0.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE)
    try:
        await verifier.verify(_token(old, "old"))
        auth.keys = [_jwk(new, "new"), _jwk(old, "old")]  # auth rotated, keeps the old one
        assert (await verifier.verify(_token(new, "new"))).kid == "new"
        assert (await verifier.verify(_token(old, "old"))).kid == "old"
        assert auth.requests == 2
    finally:
        await source.close()


async def test_unknown_kids_refetch_at_most_once_per_interval(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    key = ec.generate_private_key(ec.SECP256R1())
    auth.keys = [_jwk(key, "k1")]
    source = JwksKeySource(url, min_refetch_interval=60.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE)
    try:
        for i in range(20):
            with pytest.raises(InvalidToken) as raised:
                await verifier.verify(_token(key, f"garbage-{i}"))
            assert not isinstance(raised.value, KeysUnavailable)
        assert auth.requests == 1
    finally:
        await source.close()


async def test_unreachable_jwks_is_reported_as_keys_unavailable(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    auth.broken = True
    key = ec.generate_private_key(ec.SECP256R1())
    source = JwksKeySource(url, min_refetch_interval=0.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE)
    try:
        with pytest.raises(KeysUnavailable):
            await verifier.verify(_token(key, "k1"))
        auth.broken = False
        auth.keys = [_jwk(key, "k1")]
        assert (await verifier.verify(_token(key, "k1"))).sub == "user-1"
    finally:
        await source.close()


async def test_known_keys_keep_working_while_the_jwks_is_down(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    key = ec.generate_private_key(ec.SECP256R1())
    auth.keys = [_jwk(key, "k1")]
    # max_age=0: every lookup finds the set stale and refreshes it in the background.
    source = JwksKeySource(url, min_refetch_interval=0.0, max_age=0.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, cache_size=0)
    try:
        await verifier.verify(_token(key, "k1"))
        auth.broken = True
        for _ in range(3):
            assert (await verifier.verify(_token(key, "k1"))).kid == "k1"
    finally:
        await source.close()


async def test_key_dropped_from_the_jwks_stops_verifying_after_refresh(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    retired, current = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    auth.keys = [_jwk(retired, "retired"), _jwk(current, "current")]
    source = JwksKeySource(url, min_refetch_interval=0.0, max_age=0.0)
    verifier = TokenVerifier(source, issuer=ISSUER, audience=AUDIENCE, cache_size=0)
    try:
        await verifier.verify(_token(retired, "retired"))
        auth.keys = [_jwk(current, "current")]
        before = auth.requests
        # A lookup of the stale set schedules a refresh; wait for it to land.
        await verifier.verify(_token(current, "current"))
        if source._refresh_task is not None:
            await source._refresh_task
        assert auth.requests > before
        with pytest.raises(InvalidToken):
            await verifier.verify(_token(retired, "retired"))
    finally:
        await source.close()


async def whoami(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    return web.json_response({"sub": claims.sub})


async def test_authenticate_answers_503_when_the_jwks_cannot_be_fetched(
    fake_auth: tuple[FakeAuth, str],
) -> None:
    auth, url = fake_auth
    auth.broken = True
    key = ec.generate_private_key(ec.SECP256R1())
    settings = ServiceSettings(service_name="jwkstest", environment="test")
    app = create_base_app(settings)
    source = JwksKeySource(url)
    app.cleanup_ctx.append(token_verifier_ctx(settings, source))
    app.router.add_get("/whoami", whoami)
    try:
        async with TestClient(TestServer(app)) as client:
            headers = {"Authorization": f"Bearer {_token(key, 'k1')}"}
            response = await client.get("/whoami", headers=headers)
            assert response.status == 503
            assert response.content_type == "application/problem+json"
    finally:
        await source.close()
