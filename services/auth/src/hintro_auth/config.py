"""The auth service's settings. Every field maps to an upper-case environment variable
(``ACCESS_TOKEN_TTL_SECONDS``, ``JWT_PRIVATE_KEY``, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from hintro_shared.config import ServiceSettings
from hintro_shared.mail import MailSettings

PasswordProfile = Literal["RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST"]


class AuthSettings(ServiceSettings, MailSettings):
    """Settings of the auth service (accounts, passwords, tokens, the JWKS, the SMTP server
    password reset links are mailed through)."""

    service_name: str = "auth"
    port: int = Field(default=8001, ge=1, le=65535)

    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60)
    # How long after a rotation presenting the spent token again answers the same successor
    # (two tabs refreshing at once, a retried request) instead of revoking the family as a
    # replay. 0 turns the window off: any second presentation revokes.
    refresh_reuse_grace_seconds: float = Field(default=10.0, ge=0, le=300)

    # The signing key: PEM text in JWT_PRIVATE_KEY wins; otherwise the PEM file at JWT_KEY_FILE,
    # which is generated there (mode 0600) outside production when it does not exist yet.
    jwt_private_key: SecretStr | None = None
    jwt_key_file: Path = Path(".run/keys/jwt-signing.pem")
    # Rotation: public (or retired private) keys that still verify, published in the JWKS beside
    # the current one so tokens signed before the rotation stay valid until they expire.
    jwt_previous_public_keys: str = ""
    """PEM blocks, concatenated."""
    jwt_previous_keys_dir: Path | None = None
    """A directory whose ``*.pem`` files are previous keys (one or more PEM blocks each)."""
    jwks_max_age_seconds: int = Field(default=300, ge=0, le=86_400)

    password_hash_profile: PasswordProfile = "RFC_9106_LOW_MEMORY"  # noqa: S105
    # argon2id with the low-memory profile takes 64 MiB per hash: this bounds the hashes running
    # at once (memory) and the threads they run on; further logins queue.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    # Hashes that may wait for a slot; past it, a login or register is refused at once with 503
    # and Retry-After (a flood fails fast instead of queueing past its callers' timeouts).
    password_hash_queue_limit: int = Field(default=32, ge=0)

    # How long a password reset link works (single use).
    password_reset_ttl_seconds: int = Field(default=1800, ge=60, le=86_400)

    @model_validator(mode="after")
    def _refuse_weak_settings_in_production(self) -> AuthSettings:
        if self.environment == "production" and self.password_hash_profile == "CHEAPEST":  # noqa: S105
            raise ValueError("PASSWORD_HASH_PROFILE=CHEAPEST is for tests only")
        return self
