"""The signing key, its predecessors, the JWKS and access-token issuance.

The current key signs; previous keys only verify. Rotating without logging anyone out: put the
new key in ``JWT_PRIVATE_KEY`` (or ``JWT_KEY_FILE``) and the old one in
``JWT_PREVIOUS_PUBLIC_KEYS`` / ``JWT_PREVIOUS_KEYS_DIR`` for at least one access-token lifetime;
the JWKS publishes both, and verifiers fetch the new ``kid`` when they first meet it. Every
``kid`` is the key's RFC 7638 thumbprint, so it is derived, never configured.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from hintro_auth.config import AuthSettings
from hintro_auth.domain import AccessToken

ALGORITHM = "ES256"
_log = logging.getLogger(__name__)
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)
# RFC 7638 section 3.2: the members of each key type that enter the thumbprint.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


class KeyConfigError(Exception):
    """The signing keys are missing or unusable; the service must not start."""


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding."""
    try:
        members = _THUMBPRINT_MEMBERS[jwk["kty"]]
        canonical = {name: jwk[name] for name in members}
    except KeyError as exc:
        raise ValueError(f"JWK lacks {exc.args[0]!r}") from None
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The JWKS entry of a P-256 public key, its thumbprint as ``kid``."""
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(public_key, as_dict=True)
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": ALGORITHM, "use": "sig"}


def _require_p256(key: object, where: str) -> None:
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or not (
        isinstance(key.curve, ec.SECP256R1)
    ):
        raise KeyConfigError(f"{where}: only P-256 (ES256) EC keys are supported")


@dataclass(frozen=True)
class KeyRing:
    """The current signing key and the public keys of its predecessors."""

    signing_key: ec.EllipticCurvePrivateKey
    previous: tuple[ec.EllipticCurvePublicKey, ...] = ()

    @property
    def kid(self) -> str:
        """The current key's id (its thumbprint)."""
        return str(public_jwk(self.signing_key.public_key())["kid"])

    def jwks(self) -> dict[str, Any]:
        """The JWK Set to publish: current key first, then previous ones (deduplicated)."""
        keys = [public_jwk(self.signing_key.public_key())]
        seen = {keys[0]["kid"]}
        for public_key in self.previous:
            entry = public_jwk(public_key)
            if entry["kid"] not in seen:
                seen.add(entry["kid"])
                keys.append(entry)
        return {"keys": keys}


def _pem_text(value: str) -> str:
    # Environment variables often carry PEM with literal "\n" escapes instead of newlines.
    return value.replace("\\n", "\n") if "\\n" in value and "\n" not in value else value


def load_private_key(pem: str | bytes, where: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or :class:`KeyConfigError`."""
    data = _pem_text(pem).encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"{where}: not an unencrypted PEM private key ({exc})") from None
    _require_p256(key, where)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def parse_public_keys(text: str, where: str) -> list[ec.EllipticCurvePublicKey]:
    """Every PEM block in ``text`` as a public key (private keys give their public half)."""
    keys: list[ec.EllipticCurvePublicKey] = []
    for match in _PEM_BLOCK.finditer(_pem_text(text)):
        block = match.group(0).encode()
        try:
            if "PRIVATE" in match.group(1):
                loaded: object = serialization.load_pem_private_key(block, password=None)
            else:
                loaded = serialization.load_pem_public_key(block)
        except (ValueError, TypeError) as exc:
            raise KeyConfigError(f"{where}: unreadable PEM block ({exc})") from None
        _require_p256(loaded, where)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            loaded = loaded.public_key()
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        keys.append(loaded)
    if text.strip() and not keys:
        raise KeyConfigError(f"{where}: no PEM block found")
    return keys


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 PEM of a private key (unencrypted: file permissions protect it)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of a public key (what goes into the previous-keys setting)."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _generate_key_file(path: Path) -> ec.EllipticCurvePrivateKey:
    """Generate a key into ``path`` (mode 0600), atomically: write a temporary file, then
    hard-link it into place, so two processes starting at once end up with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_pem(key))
        try:
            os.link(temporary, path)
        except FileExistsError:
            return load_private_key(path.read_bytes(), str(path))
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _log.warning("generated a new JWT signing key", extra={"path": str(path)})
    return key


def _signing_key(settings: AuthSettings) -> ec.EllipticCurvePrivateKey:
    if settings.jwt_private_key is not None and settings.jwt_private_key.get_secret_value():
        return load_private_key(settings.jwt_private_key.get_secret_value(), "JWT_PRIVATE_KEY")
    path = settings.jwt_key_file
    if path.exists():
        return load_private_key(path.read_bytes(), f"JWT_KEY_FILE {path}")
    if settings.environment == "production":
        raise KeyConfigError(
            "no signing key: set JWT_PRIVATE_KEY or point JWT_KEY_FILE at an existing PEM file"
        )
    return _generate_key_file(path)


def _previous_keys(settings: AuthSettings) -> list[ec.EllipticCurvePublicKey]:
    keys = parse_public_keys(settings.jwt_previous_public_keys, "JWT_PREVIOUS_PUBLIC_KEYS")
    directory = settings.jwt_previous_keys_dir
    if directory is not None:
        if not directory.is_dir():
            raise KeyConfigError(f"JWT_PREVIOUS_KEYS_DIR {directory} is not a directory")
        for file in sorted(directory.glob("*.pem")):
            keys.extend(parse_public_keys(file.read_text(), str(file)))
    return keys


def load_key_ring(settings: AuthSettings) -> KeyRing:
    """The configured keys; generates a development key when none is configured, and refuses
    (``KeyConfigError``) in production."""
    return KeyRing(signing_key=_signing_key(settings), previous=tuple(_previous_keys(settings)))


class AccessTokenIssuer:
    """Signs access tokens (ES256, ``kid`` in the header) for a user."""

    def __init__(self, ring: KeyRing, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._key = ring.signing_key
        self._kid = ring.kid
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    def issue(self, user_id: str, now: datetime, session_id: str) -> AccessToken:
        """A fresh access token for ``user_id``, valid for the configured lifetime; ``sid``
        names the session (refresh-token family) it belongs to."""
        iat = int(now.timestamp())
        claims = {
            "sid": session_id,
            "sub": user_id,
            "iat": iat,
            "exp": iat + self._ttl,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid, "typ": "JWT"}
        )
        return AccessToken(token=token, expires_in=self._ttl)


def kids(jwks: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[str]:
    """The key ids of a JWKS, in order (for logs and tests)."""
    return [str(key["kid"]) for key in jwks["keys"]]
