"""Signing-key management: RFC 7638 kids, loading and generating the key, rotation through
previous keys, and tokens that the shared verifier accepts."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from hintro_auth.config import AuthSettings
from hintro_auth.keys import (
    AccessTokenIssuer,
    KeyConfigError,
    KeyRing,
    jwk_thumbprint,
    kids,
    load_key_ring,
    private_key_pem,
    public_jwk,
    public_key_pem,
)
from hintro_shared.tokens import InvalidToken, StaticKeySource, TokenVerifier

# RFC 7638 section 3.1: the example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhA"
        "I4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def _settings(tmp_path: Path, **overrides: object) -> AuthSettings:
    values: dict[str, object] = {
        "environment": "test",
        "jwt_key_file": tmp_path / "keys" / "jwt.pem",
    }
    values.update(overrides)
    return AuthSettings(**values)  # type: ignore[arg-type]


def test_thumbprint_matches_rfc_7638_example() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_ignores_non_required_members_and_member_order() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = public_jwk(key)
    reordered = {name: jwk[name] for name in reversed(list(jwk))}
    assert jwk_thumbprint(reordered) == jwk_thumbprint({**jwk, "alg": "other", "use": "enc"})
    assert jwk["kid"] == jwk_thumbprint(jwk)


def test_different_keys_have_different_kids() -> None:
    first = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    second = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert first["kid"] != second["kid"]


def test_published_jwk_has_no_private_member() -> None:
    ring = KeyRing(signing_key=ec.generate_private_key(ec.SECP256R1()))
    (entry,) = ring.jwks()["keys"]
    assert "d" not in entry
    assert entry["alg"] == "ES256"
    assert entry["use"] == "sig"


def test_missing_key_is_generated_with_owner_only_permissions_and_reused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = load_key_ring(settings)
    mode = stat.S_IMODE(settings.jwt_key_file.stat().st_mode)
    assert mode == 0o600
    assert load_key_ring(settings).kid == first.kid


def test_production_refuses_to_start_without_a_configured_key(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, environment="production", rabbitmq_url="amqp://u:p@h/", smtp_security="starttls"
    )
    with pytest.raises(KeyConfigError, match="JWT_PRIVATE_KEY"):
        load_key_ring(settings)
    assert not settings.jwt_key_file.exists()


def test_private_key_from_environment_wins_even_with_escaped_newlines(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    escaped = private_key_pem(key).decode().replace("\n", "\\n")
    ring = load_key_ring(_settings(tmp_path, jwt_private_key=escaped))
    assert ring.kid == public_jwk(key.public_key())["kid"]
    assert not (tmp_path / "keys" / "jwt.pem").exists()


def test_keys_other_than_p256_are_refused(tmp_path: Path) -> None:
    other_curve = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(KeyConfigError, match="P-256"):
        load_key_ring(_settings(tmp_path, jwt_private_key=private_key_pem(other_curve).decode()))
    edwards = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyConfigError, match="P-256"):
        load_key_ring(_settings(tmp_path, jwt_private_key=edwards.decode()))
    with pytest.raises(KeyConfigError, match="PEM"):
        load_key_ring(_settings(tmp_path, jwt_private_key="not a key"))


def test_previous_keys_from_setting_and_directory_are_published_after_the_current(
    tmp_path: Path,
) -> None:
    current = ec.generate_private_key(ec.SECP256R1())
    from_setting = ec.generate_private_key(ec.SECP256R1())
    from_dir_public = ec.generate_private_key(ec.SECP256R1())
    from_dir_private = ec.generate_private_key(ec.SECP256R1())
    directory = tmp_path / "previous"
    directory.mkdir()
    (directory / "a.pem").write_bytes(public_key_pem(from_dir_public.public_key()))
    (directory / "b.pem").write_bytes(private_key_pem(from_dir_private))
    (directory / "ignored.txt").write_text("not a key")
    ring = load_key_ring(
        _settings(
            tmp_path,
            jwt_private_key=private_key_pem(current).decode(),
            # The current key listed again is published once.
            jwt_previous_public_keys=(
                public_key_pem(from_setting.public_key()) + public_key_pem(current.public_key())
            ).decode(),
            jwt_previous_keys_dir=directory,
        )
    )
    expected = [
        public_jwk(key.public_key())["kid"]
        for key in (current, from_setting, from_dir_public, from_dir_private)
    ]
    assert kids(ring.jwks()) == expected


def test_unreadable_previous_key_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="JWT_PREVIOUS_PUBLIC_KEYS"):
        load_key_ring(_settings(tmp_path, jwt_previous_public_keys="garbage"))


async def test_token_signed_before_rotation_verifies_against_the_rotated_jwks(
    tmp_path: Path,
) -> None:
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    before = KeyRing(signing_key=old)
    after = KeyRing(signing_key=new, previous=(old.public_key(),))
    now = datetime.now(UTC)
    old_token = AccessTokenIssuer(before, issuer="hintro-auth", audience="hintro", ttl_seconds=900)
    new_token = AccessTokenIssuer(after, issuer="hintro-auth", audience="hintro", ttl_seconds=900)
    verifier = TokenVerifier(StaticKeySource(after.jwks()), issuer="hintro-auth", audience="hintro")
    assert (await verifier.verify(old_token.issue("user-1", now, "s1").token)).kid == before.kid
    assert (await verifier.verify(new_token.issue("user-1", now, "s1").token)).kid == after.kid
    # Once the old key is retired from the JWKS its tokens stop verifying.
    retired = TokenVerifier(
        StaticKeySource(KeyRing(signing_key=new).jwks()), issuer="hintro-auth", audience="hintro"
    )
    with pytest.raises(InvalidToken):
        await retired.verify(old_token.issue("user-1", now, "s1").token)


async def test_issued_token_carries_every_contract_claim(tmp_path: Path) -> None:
    ring = KeyRing(signing_key=ec.generate_private_key(ec.SECP256R1()))
    now = datetime.now(UTC)
    issued = AccessTokenIssuer(ring, issuer="hintro-auth", audience="hintro", ttl_seconds=900)
    access = issued.issue("user-1", now, "family-1")
    claims = await TokenVerifier(
        StaticKeySource(ring.jwks()), issuer="hintro-auth", audience="hintro"
    ).verify(access.token)
    assert access.expires_in == 900
    assert claims.sub == "user-1"
    assert claims.sid == "family-1"
    assert claims.exp - claims.iat == 900
    assert claims.jti
