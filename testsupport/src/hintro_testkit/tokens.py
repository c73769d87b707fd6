"""Access tokens for tests, signed the way auth signs them, with a key the app trusts."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from hintro_shared.tokens import StaticKeySource

ISSUER = "hintro-auth"
AUDIENCE = "hintro"


class TokenMint:
    """A fresh ES256 test key: tokens signed with it and the JWKS that verifies them."""

    def __init__(self, kid: str = "test-key", *, issuer: str = ISSUER, audience: str = AUDIENCE):
        self.kid = kid
        self.issuer = issuer
        self.audience = audience
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    def token(self, user_id: str, *, lifetime: int = 900, **claims: Any) -> str:
        """A token for ``user_id`` (negative ``lifetime``: already expired); ``claims``
        override or add claims (e.g. a wrong ``aud``)."""
        now = int(time.time())
        payload = {
            "sub": user_id,
            "jti": uuid.uuid4().hex,
            "iat": now - (0 if lifetime > 0 else 1000),
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": self.audience,
            **claims,
        }
        return jwt.encode(payload, self.private_key, algorithm="ES256", headers={"kid": self.kid})

    def auth(self, user_id: str, **extra: str) -> dict[str, str]:
        """Headers of a request by ``user_id`` (plus ``extra`` headers)."""
        return {"Authorization": f"Bearer {self.token(user_id)}", **extra}

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS auth would publish for this key."""
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def key_source(self) -> StaticKeySource:
        """A key source over :attr:`jwks`, for ``create_app(..., token_keys=...)``."""
        return StaticKeySource(self.jwks)

    def user_of(self, request: web.Request) -> str | None:
        """The verified subject of a request's bearer token (stand-ins authorize with it)."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(
                header[7:],
                self.private_key.public_key(),
                algorithms=["ES256"],
                audience=self.audience,
                issuer=self.issuer,
            )
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) else None
