"""Access at the gateway: private routes need a valid token, verified here; public ones don't."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from gateway.tests.conftest import Harness, HarnessFactory, new_signing_key

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "mallory",
        "iat": now,
        "exp": now + 900,
        "iss": "hintro-auth",
        "aud": "hintro",
        "jti": uuid.uuid4().hex,
        **overrides,
    }


async def _assert_401(gw: Harness, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await gw.client.get("/api/boards", headers=headers)
    assert response.status == 401, token
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = await response.json()
    assert set(body) >= {"type", "title", "status", "detail"}


async def test_private_route_without_token_is_401_and_never_reaches_the_service(
    gw: Harness,
) -> None:
    await _assert_401(gw, None)
    response = await gw.client.get("/api/boards", headers={"Authorization": "Basic eDp5"})
    assert response.status == 401
    assert gw.services["board"].seen == []


async def test_bad_tokens_are_401(gw: Harness) -> None:
    good = gw.key.token("mallory")
    header, payload, signature = good.split(".")
    stranger = new_signing_key()
    bad_tokens = {
        "garbage": "not-a-jwt",
        "expired": gw.key.token("mallory", exp=int(time.time()) - 60),
        "wrong audience": gw.key.token("mallory", aud="someone-else"),
        "wrong issuer": gw.key.token("mallory", iss="evil"),
        "unknown key": stranger.token("mallory"),
        # A stranger's key under the real kid: the signature does not verify.
        "forged": jwt.encode(
            _claims(), stranger.private_key, algorithm="ES256", headers={"kid": gw.key.kid}
        ),
        "alg none": jwt.encode(_claims(), "", algorithm="none", headers={"kid": gw.key.kid}),
        "tampered": f"{header}.{payload[:-4]}AAAA.{signature}",
        "no jti": jwt.encode(
            {k: v for k, v in _claims().items() if k != "jti"},
            gw.key.private_key,
            algorithm="ES256",
            headers={"kid": gw.key.kid},
        ),
    }
    for name, token in bad_tokens.items():
        response = await gw.client.get("/api/boards", headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401, name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
    assert gw.services["board"].seen == []


async def test_public_routes_need_no_token(gw: Harness) -> None:
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout"):
        response = await gw.client.post(path, json={"email": "a@b.c", "refreshToken": "r"})
        assert response.status == 200, path
    jwks = await gw.client.get("/api/auth/.well-known/jwks.json")
    assert jwks.status == 200
    assert (await jwks.json())["keys"][0]["kid"] == gw.key.kid
    for path in ("/healthz", "/readyz", "/metrics", "/api/openapi.json"):
        assert (await gw.client.get(path)).status == 200, path


async def test_authorization_header_is_forwarded_for_defence_in_depth(gw: Harness) -> None:
    token = gw.key.token("ada")
    await gw.client.get("/api/boards/b1", headers={"Authorization": f"Bearer {token}"})
    assert gw.services["board"].seen[-1].header("authorization") == f"Bearer {token}"


async def test_bad_tokens_are_rate_limited_per_ip(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway(rate_limit_default="3/60")
    statuses = [
        (await harness.client.get("/api/boards", headers={"Authorization": "Bearer x"})).status
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


async def test_readiness_reports_redis_ok(gw: Harness) -> None:
    response = await gw.client.get("/readyz")
    body = await response.json()
    assert body["status"] == "ready"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["ratelimit"] == "ok"
