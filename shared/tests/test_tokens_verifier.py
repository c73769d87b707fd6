"""Access-token verification: what TokenVerifier accepts, everything it must refuse, and the
request helpers every service authenticates with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from hintro_shared.config import ServiceSettings
from hintro_shared.errors import DependencyUnavailable
from hintro_shared.http import create_base_app
from hintro_shared.tokens import (
    Claims,
    InvalidToken,
    KeysUnavailable,
    StaticKeySource,
    TokenVerifier,
    authenticate,
    token_verifier_ctx,
)

ISSUER = "hintro-auth"
AUDIENCE = "hintro"
KID = "test-key-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    public = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "user-1",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 900,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: ec.EllipticCurvePrivateKey, claims: dict[str, Any], kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)


def _unsigned(header: dict[str, Any], claims: dict[str, Any], key: bytes | None = None) -> str:
    """A token built by hand, for algorithms PyJWT would refuse to produce."""
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
    )
    signature = b"" if key is None else hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{_b64(signature)}"


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def verifier(signing_key: ec.EllipticCurvePrivateKey) -> TokenVerifier:
    keys = StaticKeySource({"keys": [_jwk(signing_key, KID)]})
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)


async def test_valid_token_is_accepted_with_its_claims(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    claims = _claims()
    verified = await verifier.verify(_sign(signing_key, claims))
    assert verified == Claims(
        sub="user-1", jti=claims["jti"], iat=claims["iat"], exp=claims["exp"], kid=KID
    )
    assert verified.user_id == "user-1"


async def test_verified_claims_are_served_from_cache_for_the_same_token(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    token = _sign(signing_key, _claims())
    assert await verifier.verify(token) is await verifier.verify(token)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": int(time.time()) - 1}, id="expired"),
        pytest.param({"iat": int(time.time()) + 3600}, id="iat-in-future"),
        pytest.param({"nbf": int(time.time()) + 3600}, id="not-yet-valid"),
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"aud": "another-app"}, id="wrong-audience"),
        pytest.param({"sub": None}, id="missing-sub"),
        pytest.param({"jti": None}, id="missing-jti"),
        pytest.param({"exp": None}, id="missing-exp"),
        pytest.param({"iat": None}, id="missing-iat"),
        pytest.param({"iss": None}, id="missing-iss"),
        pytest.param({"aud": None}, id="missing-aud"),
        pytest.param({"sub": 42}, id="non-string-sub"),
        pytest.param({"sub": ""}, id="empty-sub"),
        pytest.param({"exp": "tomorrow"}, id="non-numeric-exp"),
    ],
)
async def test_token_with_bad_claims_is_rejected(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey, overrides: dict[str, Any]
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(_sign(signing_key, _claims(**overrides)))


async def test_cached_token_is_rejected_once_it_expires(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    now = [float(int(time.time()))]
    verifier = TokenVerifier(
        StaticKeySource({"keys": [_jwk(signing_key, KID)]}),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=lambda: now[0],
    )
    token = _sign(signing_key, _claims(iat=int(now[0]), exp=int(now[0]) + 60))
    await verifier.verify(token)
    now[0] += 60
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_small_clock_skew_is_tolerated_within_leeway(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    verifier = TokenVerifier(
        StaticKeySource({"keys": [_jwk(signing_key, KID)]}),
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway=30,
    )
    token = _sign(signing_key, _claims(iat=int(time.time()) + 5))
    assert (await verifier.verify(token)).sub == "user-1"


async def test_alg_none_is_rejected(verifier: TokenVerifier) -> None:
    token = _unsigned({"alg": "none", "kid": KID, "typ": "JWT"}, _claims())
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_hs256_signed_with_the_public_key_is_rejected(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_jwk = json.dumps(_jwk(signing_key, KID)).encode()
    for secret in (public_pem, public_jwk):
        token = _unsigned({"alg": "HS256", "kid": KID, "typ": "JWT"}, _claims(), key=secret)
        with pytest.raises(InvalidToken):
            await verifier.verify(token)


async def test_verifier_accepting_both_algorithms_still_refuses_hs256_confusion(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(
            StaticKeySource({"keys": [_jwk(signing_key, KID)]}),
            issuer=ISSUER,
            audience=AUDIENCE,
            algorithms=("ES256", "HS256"),
        )


async def test_token_signed_by_another_key_with_the_same_kid_is_rejected(
    verifier: TokenVerifier,
) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidToken):
        await verifier.verify(_sign(impostor, _claims()))


async def test_tampered_payload_is_rejected(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    header, _, signature = _sign(signing_key, _claims()).split(".")
    forged_payload = _b64(json.dumps(_claims(sub="admin")).encode())
    with pytest.raises(InvalidToken):
        await verifier.verify(f"{header}.{forged_payload}.{signature}")


async def test_unknown_kid_is_rejected(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(_sign(signing_key, _claims(), kid="no-such-key"))


async def test_token_without_kid_is_rejected(
    verifier: TokenVerifier, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(_sign(signing_key, _claims(), kid=None))


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "x" * 10_000, "..."])
async def test_malformed_token_is_rejected(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(garbage)


def test_symmetric_keys_in_a_jwks_are_ignored() -> None:
    source = StaticKeySource(
        {"keys": [{"kty": "oct", "k": _b64(b"secret"), "kid": "sym", "alg": "HS256"}]}
    )
    assert source._keys == {}


def test_keys_unavailable_is_both_an_invalid_token_and_a_dependency_failure() -> None:
    assert issubclass(KeysUnavailable, InvalidToken)
    assert issubclass(KeysUnavailable, DependencyUnavailable)


# --- the request helpers -----------------------------------------------------------------------


async def whoami(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    again = await authenticate(request)
    return web.json_response({"sub": claims.sub, "same": claims is again})


@pytest.fixture
async def client(
    signing_key: ec.EllipticCurvePrivateKey,
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = ServiceSettings(
        service_name="tokentest", environment="test", jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )
    app = create_base_app(settings)
    keys = StaticKeySource({"keys": [_jwk(signing_key, KID)]})
    app.cleanup_ctx.append(token_verifier_ctx(settings, keys))
    app.router.add_get("/whoami", whoami)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_authenticate_accepts_a_valid_bearer_token(
    client: TestClient[web.Request, web.Application], signing_key: ec.EllipticCurvePrivateKey
) -> None:
    token = _sign(signing_key, _claims())
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert await response.json() == {"sub": "user-1", "same": True}


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not.a.token", "Bearer a b"],
)
async def test_authenticate_answers_401_problem_with_challenge(
    client: TestClient[web.Request, web.Application], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.get("/whoami", headers=headers)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await response.json())["status"] == 401


async def test_authenticate_refuses_an_expired_token(
    client: TestClient[web.Request, web.Application], signing_key: ec.EllipticCurvePrivateKey
) -> None:
    token = _sign(signing_key, _claims(exp=int(time.time()) - 10))
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401


async def _whoami_status(
    settings: ServiceSettings, key: ec.EllipticCurvePrivateKey, **claims: Any
) -> int:
    app = create_base_app(settings)
    app.cleanup_ctx.append(
        token_verifier_ctx(settings, StaticKeySource({"keys": [_jwk(key, KID)]}))
    )
    app.router.add_get("/whoami", whoami)
    async with TestClient(TestServer(app)) as test_client:
        token = _sign(key, _claims(**claims))
        response = await test_client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        return response.status


async def test_services_tolerate_the_configured_clock_skew(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    base: dict[str, Any] = {
        "service_name": "t",
        "environment": "test",
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
    }
    default = ServiceSettings(**base)
    assert default.token_leeway_seconds == 5.0
    now = int(time.time())
    # Auth's clock a little ahead (iat in the future) or behind (exp just past): accepted.
    assert await _whoami_status(default, signing_key, iat=now + 3) == 200
    assert await _whoami_status(default, signing_key, iat=now - 900, exp=now - 2) == 200
    # Beyond the leeway: refused.
    assert await _whoami_status(default, signing_key, iat=now + 30) == 401
    assert await _whoami_status(default, signing_key, iat=now - 900, exp=now - 30) == 401
    strict = ServiceSettings(**base, token_leeway_seconds=0)
    assert await _whoami_status(strict, signing_key, iat=now + 3) == 401
