"""The auth service's composition root: the only place that wires adapters to use cases.

Resources open in this order and close in reverse: signing keys (and the token verifier over
them), MongoDB, RabbitMQ, the event outbox relay, the password hasher's pool, the use cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from aiohttp import web

from hintro_auth.config import AuthSettings
from hintro_auth.cookies import SESSION_COOKIE, SessionCookie
from hintro_auth.domain import utc_now
from hintro_auth.keys import AccessTokenIssuer, KeyRing, load_key_ring
from hintro_auth.passwords import Argon2Passwords
from hintro_auth.repository import USERS, MongoRefreshTokens, MongoUsers
from hintro_auth.reset_repository import MongoPasswordResets
from hintro_auth.resets import PasswordResets
from hintro_auth.routes import (
    AUTH_SERVICE,
    JWKS_BODY,
    JWKS_CACHE_CONTROL,
    OPERATIONS,
    PASSWORD_RESETS,
)
from hintro_auth.service import AuthService
from hintro_shared import jsonutil, mail
from hintro_shared.events.fastpath import RelayOutbox
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.http import create_base_app
from hintro_shared.mongo import MONGO_DB, mongo_ctx
from hintro_shared.openapi import add_operations
from hintro_shared.rabbit import RABBIT, rabbit_ctx
from hintro_shared.tokens import TOKEN_VERIFIER, StaticKeySource, TokenVerifier

Ctx = Callable[[web.Application], AsyncIterator[None]]

AUTH_SETTINGS = web.AppKey("hintro.auth.settings", AuthSettings)
KEY_RING = web.AppKey("hintro.auth.key_ring", KeyRing)
USERS_OUTBOX = web.AppKey("hintro.auth.users_outbox", RelayOutbox)
PASSWORDS = web.AppKey("hintro.auth.passwords", Argon2Passwords)
"""Replaceable before start-up (tests put a spy here)."""


def _keys_ctx(settings: AuthSettings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        # Raises KeyConfigError (the process does not start) in production without a key.
        ring = load_key_ring(settings)
        jwks = ring.jwks()
        app[KEY_RING] = ring
        app[JWKS_BODY] = jsonutil.dumps_bytes(jwks)
        app[JWKS_CACHE_CONTROL] = f"public, max-age={settings.jwks_max_age_seconds}"
        # Auth checks its own bearer tokens with its own public keys: no HTTP round trip.
        app[TOKEN_VERIFIER] = TokenVerifier(
            StaticKeySource(jwks),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.token_leeway_seconds,
        )
        yield

    return ctx


def _passwords_ctx(app: web.Application) -> AsyncIterator[None]:
    async def ctx() -> AsyncIterator[None]:
        passwords = app[PASSWORDS]
        await passwords.start()
        yield
        passwords.close()

    return ctx()


def _events_ctx(settings: AuthSettings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with ServiceEvents.from_settings(app[RABBIT], settings) as events:
            await events.start_relay(app[MONGO_DB][USERS])
            app[USERS_OUTBOX] = events.outbox(app[MONGO_DB][USERS])
            yield

    return ctx


def _service_ctx(settings: AuthSettings) -> Ctx:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = app[MONGO_DB]
        users = MongoUsers(db)
        refresh_tokens = MongoRefreshTokens(
            db, family_retention=timedelta(seconds=settings.refresh_token_ttl_seconds, days=1)
        )
        resets = MongoPasswordResets(db)
        await users.create_indexes()
        await refresh_tokens.create_indexes()
        await resets.create_indexes()
        smtp = settings.smtp

        async def send(message: mail.Mail) -> None:
            await mail.send(smtp, message)

        app[PASSWORD_RESETS] = PasswordResets(
            resets=resets,
            users=users,
            passwords=app[PASSWORDS],
            sessions=refresh_tokens,
            send=send,
            public_url=settings.public_url,
            ttl=timedelta(seconds=settings.password_reset_ttl_seconds),
            clock=utc_now,
        )
        app[AUTH_SERVICE] = AuthService(
            users=users,
            refresh_tokens=refresh_tokens,
            passwords=app[PASSWORDS],
            access_tokens=AccessTokenIssuer(
                app[KEY_RING],
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl_seconds=settings.access_token_ttl_seconds,
            ),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
            clock=utc_now,
            outbox=app[USERS_OUTBOX],
            reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
        )
        yield
        await app[PASSWORD_RESETS].close()

    return ctx


def create_app(settings: AuthSettings) -> web.Application:
    """The auth service's application."""
    app = create_base_app(settings)
    app[AUTH_SETTINGS] = settings
    app[SESSION_COOKIE] = SessionCookie.for_environment(
        settings.environment, settings.refresh_token_ttl_seconds
    )
    app[PASSWORDS] = Argon2Passwords(
        settings.password_hash_profile,
        settings.password_hash_concurrency,
        settings.password_hash_queue_limit,
    )
    app.cleanup_ctx.extend(
        [
            _keys_ctx(settings),
            mongo_ctx(settings),
            rabbit_ctx(settings),
            _events_ctx(settings),
            _passwords_ctx,
            _service_ctx(settings),
        ]
    )
    add_operations(app, OPERATIONS)
    return app
