"""Auth end to end, through the gateway: the account and session lifecycle, every kind of bad
token refused at the door, login hammering throttled, and error bodies that give nothing away."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from hintro_devtools.stack import Stack
from tests.e2e.test_e2e_sessions_grace import GRACE_SECONDS, age_spent_token

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery"


def _email() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}@hintro.dev"


async def _register(http: aiohttp.ClientSession, email: str, name: str = "Ada") -> dict[str, Any]:
    async with http.post(
        "api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    ) as response:
        assert response.status == 201, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def _login(http: aiohttp.ClientSession, email: str) -> dict[str, Any]:
    async with http.post("api/auth/login", json={"email": email, "password": PASSWORD}) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def _refresh(http: aiohttp.ClientSession, refresh_token: str) -> aiohttp.ClientResponse:
    async with http.post("api/auth/refresh", json={"refreshToken": refresh_token}) as response:
        await response.read()
        return response


async def _me(http: aiohttp.ClientSession, access_token: str) -> aiohttp.ClientResponse:
    async with http.get(
        "api/auth/me", headers={"Authorization": f"Bearer {access_token}"}
    ) as response:
        await response.read()
        return response


def _assert_clean_problem(text: str, status: int) -> None:
    body = json.loads(text)
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail"}
    for secret in ("Traceback", "$argon2", PASSWORD, 'File "'):
        assert secret not in text


async def test_account_and_session_lifecycle(stack: Stack, http: aiohttp.ClientSession) -> None:
    email = _email()
    user = await _register(http, email, "Ada Lovelace")
    assert set(user) == {"id", "email", "name", "createdAt"}
    assert user["email"] == email
    assert user["name"] == "Ada Lovelace"

    pair = await _login(http, email.upper())  # e-mail addresses are case-insensitive
    assert pair["tokenType"] == "Bearer"
    assert pair["expiresIn"] > 0
    me = await _me(http, pair["accessToken"])
    assert me.status == 200
    assert (await me.json()) == user

    # Refresh: a new pair; the presented refresh token is now spent.
    rotated = await _refresh(http, pair["refreshToken"])
    assert rotated.status == 200
    second = await rotated.json()
    assert second["refreshToken"] != pair["refreshToken"]
    assert (await _me(http, second["accessToken"])).status == 200

    # Presenting the spent token again after the reuse grace window looks like theft: the
    # whole family is revoked, so even the newest refresh token of that session stops working.
    await age_spent_token(stack, pair["refreshToken"], GRACE_SECONDS + 1)
    reused = await _refresh(http, pair["refreshToken"])
    assert reused.status == 401
    assert reused.content_type == PROBLEM
    assert (await _refresh(http, second["refreshToken"])).status == 401

    # Logout takes the refresh token in the body and needs no bearer token (public route).
    session = await _login(http, email)
    async with http.post(
        "api/auth/logout", json={"refreshToken": session["refreshToken"]}
    ) as response:
        assert response.status == 204
    assert (await _refresh(http, session["refreshToken"])).status == 401


async def test_duplicate_email_is_409_problem(stack: Stack, http: aiohttp.ClientSession) -> None:
    email = _email()
    await _register(http, email)
    async with http.post(
        "api/auth/register",
        json={"email": email.upper(), "password": PASSWORD, "name": "Again"},
    ) as response:
        assert response.status == 409
        assert response.content_type == PROBLEM
        _assert_clean_problem(await response.text(), 409)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hs256(claims: dict[str, Any], kid: str, secret: bytes) -> str:
    """Signed by hand: PyJWT itself refuses to use key material as an HMAC secret."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(mac)}"


def _with_payload(token: str, **changes: Any) -> str:
    """The real token with its payload edited and its real signature kept (so it no longer
    matches)."""
    header, payload, signature = token.split(".")
    claims = {**json.loads(_unb64(payload)), **changes}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


async def test_bad_tokens_are_refused_at_the_gateway(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    email = _email()
    await _register(http, email)
    real = (await _login(http, email))["accessToken"]
    real_claims = jwt.decode(real, options={"verify_signature": False})
    real_kid = jwt.get_unverified_header(real)["kid"]
    now = int(time.time())
    claims = {**real_claims, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    ours = ec.generate_private_key(ec.SECP256R1())
    async with http.get("api/auth/.well-known/jwks.json") as response:
        jwks_text = await response.text()

    # Only auth holds the real private key, so an expired or wrong-audience token cannot be
    # *validly* signed here. Each case is covered two ways: signed with our own key under a kid
    # the JWKS does not have (refused for the unknown key), and as the real token with the claim
    # edited (refused because the real signature no longer matches). The gateway's own tests
    # check the claim rules themselves with a key it trusts.
    def signed(kid: str, **changes: Any) -> str:
        return jwt.encode({**claims, **changes}, ours, algorithm="ES256", headers={"kid": kid})

    bad = {
        "forged under the real kid": signed(real_kid),
        "unknown kid": signed("not-a-real-kid"),
        "expired, own key": signed("not-a-real-kid", exp=now - 60, iat=now - 960),
        "wrong audience, own key": signed("not-a-real-kid", aud="somebody-else"),
        "expired, real token edited": _with_payload(real, exp=now - 60),
        "wrong audience, real token edited": _with_payload(real, aud="somebody-else"),
        "other user, real token edited": _with_payload(real, sub="someone-else"),
        "alg none": jwt.encode(claims, "", algorithm="none", headers={"kid": real_kid}),
        # Algorithm confusion: HMAC keyed with the public key material anyone can download.
        "HS256 with the public JWKS as secret": _hs256(claims, real_kid, jwks_text.encode()),
        "signature cut off": real.rsplit(".", 1)[0] + ".",
        "garbage": "abc.def.ghi",
    }
    for name, token in bad.items():
        response = await _me(http, token)
        assert response.status == 401, name
        assert response.content_type == PROBLEM, name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
    async with http.get("api/auth/me") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # The genuine token still works: nothing above was refused by accident.
    assert (await _me(http, real)).status == 200


async def test_hammering_login_is_throttled_with_ratelimit_headers(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    email = _email()
    await _register(http, email)
    statuses = []
    limited: aiohttp.ClientResponse | None = None
    for _ in range(30):
        async with http.post(
            "api/auth/login", json={"email": email, "password": "wrong password!"}
        ) as response:
            statuses.append(response.status)
            if response.status == 429:
                limited = response
                text = await response.text()
                break
            assert response.status == 401
            assert "RateLimit" in response.headers
    assert limited is not None, statuses
    assert limited.content_type == PROBLEM
    assert int(limited.headers["Retry-After"]) >= 1
    # Wrong passwords are held per (email, address); the registration made this address a known
    # one for the email, so the email-wide bucket is not charged from here.
    assert '"auth-email-ip"' in limited.headers["RateLimit-Policy"]
    assert '"auth-email-ip";r=0' in limited.headers["RateLimit"]
    assert statuses == [401] * 5 + [429]
    _assert_clean_problem(text, 429)


async def test_errors_are_problem_json_without_internals(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        "api/auth/register", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert response.content_type == PROBLEM
        _assert_clean_problem(await response.text(), 400)
    async with http.post(
        "api/auth/register", json={"email": _email(), "password": "tiny-pw", "name": "A"}
    ) as response:
        assert response.status == 422
        text = await response.text()
        _assert_clean_problem(text, 422)
        assert json.loads(text)["errors"]
        assert "tiny-pw" not in text  # the rejected password is not echoed
    async with http.post(
        "api/auth/login", json={"email": _email(), "password": PASSWORD}
    ) as response:
        assert response.status == 401  # unknown e-mail: same answer as a wrong password
        _assert_clean_problem(await response.text(), 401)
    async with http.get("api/no/such/route") as response:
        assert response.status == 404
        assert response.content_type == PROBLEM


async def test_gateway_serves_openapi_and_request_ids(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    async with http.get("api/openapi.json") as response:
        assert response.status == 200
        doc = await response.json()
    assert "/api/auth/login" in doc["paths"]
    async with http.get("api/auth/.well-known/jwks.json", headers={"X-Request-Id": "e2e-1"}) as r:
        assert r.status == 200
        assert r.headers["X-Request-Id"] == "e2e-1"
        assert (await r.json())["keys"]
