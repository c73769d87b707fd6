"""The auth database's migrations (``python -m hintro_auth.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: unique user e-mail, outbox sweeper, token expiry",
        Index("users", (("email", 1),), "email_unique", unique=True),
        Index("users", (("outboxPending", 1),), "outbox_pending"),
        Index("users", (("deleted", 1),), "outbox_tombstone", sparse=True),
        Index("refresh_tokens", (("expiresAt", 1),), "expires_ttl", expire_after_seconds=0),
        Index("refresh_families", (("expiresAt", 1),), "expires_ttl", expire_after_seconds=0),
    ),
    index_migration(
        2,
        "refresh tokens by user: a password change revokes the user's other sessions",
        Index("refresh_tokens", (("userId", 1),), "user"),
    ),
    index_migration(
        3,
        "password reset tokens: expiry and by user",
        Index("password_resets", (("expiresAt", 1),), "expires_ttl", expire_after_seconds=0),
        Index("password_resets", (("userId", 1),), "user"),
    ),
)
