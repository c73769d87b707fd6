"""The auth service's HTTP surface, declared once as :data:`OPERATIONS`: handlers parse, call
a use case and write the schema; refusals (``EmailTaken``, ``InvalidCredentials``...) become
problem+json in the shared problem middleware."""

from __future__ import annotations

from aiohttp import web

from hintro_auth.schemas import (
    Jwks,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPairOut,
    UserOut,
    UserQuery,
    UserSummary,
)
from hintro_auth.service import AuthService
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.problems import read_json, validate
from hintro_shared.tokens import authenticate

AUTH_SERVICE = web.AppKey("hintro.auth.service", AuthService)
JWKS_BODY = web.AppKey("hintro.auth.jwks_body", bytes)
JWKS_CACHE_CONTROL = web.AppKey("hintro.auth.jwks_cache_control", str)

TAG = "auth"
# RFC 6749 section 5.1: responses carrying tokens must not be cached by anyone.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def handle_register(request: web.Request) -> web.Response:
    """Create an account."""
    body = await read_json(request, RegisterRequest)
    user = await request.app[AUTH_SERVICE].register(body.email, body.password, body.name)
    return json_response(UserOut.model_validate(user, from_attributes=True), status=201)


async def handle_login(request: web.Request) -> web.Response:
    """Start a session with an e-mail address and password."""
    body = await read_json(request, LoginRequest)
    pair = await request.app[AUTH_SERVICE].login(body.email, body.password)
    return json_response(TokenPairOut.model_validate(pair, from_attributes=True), headers=_NO_STORE)


async def handle_refresh(request: web.Request) -> web.Response:
    """Exchange a refresh token for a new pair (the presented one is spent)."""
    body = await read_json(request, RefreshRequest)
    pair = await request.app[AUTH_SERVICE].refresh(body.refresh_token)
    return json_response(TokenPairOut.model_validate(pair, from_attributes=True), headers=_NO_STORE)


async def handle_logout(request: web.Request) -> web.Response:
    """End the session a refresh token belongs to; 204 even for unknown tokens."""
    body = await read_json(request, RefreshRequest)
    await request.app[AUTH_SERVICE].logout(body.refresh_token)
    return web.Response(status=204)


async def handle_me(request: web.Request) -> web.Response:
    """The caller's account."""
    claims = await authenticate(request)
    user = await request.app[AUTH_SERVICE].user(claims.sub)
    return json_response(UserOut.model_validate(user, from_attributes=True))


async def handle_find_user(request: web.Request) -> web.Response:
    """Look a user up by e-mail address (to invite them to a board)."""
    await authenticate(request)
    query = validate(UserQuery, dict(request.query))
    user = await request.app[AUTH_SERVICE].user_by_email(query.email)
    return json_response(UserSummary.model_validate(user, from_attributes=True))


async def handle_jwks(request: web.Request) -> web.Response:
    """The public keys access tokens are verified with."""
    return web.Response(
        body=request.app[JWKS_BODY],
        content_type="application/json",
        headers={"Cache-Control": request.app[JWKS_CACHE_CONTROL]},
    )


OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/api/auth/register",
        handle_register,
        "Register an account",
        TAG,
        status=201,
        request=RegisterRequest,
        response=UserOut,
        public=True,
        errors=(400, 409, 413),
    ),
    Operation(
        "POST",
        "/api/auth/login",
        handle_login,
        "Log in and receive an access and a refresh token",
        TAG,
        request=LoginRequest,
        response=TokenPairOut,
        public=True,
        errors=(400, 401, 413),
    ),
    Operation(
        "POST",
        "/api/auth/refresh",
        handle_refresh,
        "Rotate a refresh token into a new token pair",
        TAG,
        request=RefreshRequest,
        response=TokenPairOut,
        public=True,
        errors=(400, 401, 413),
    ),
    Operation(
        "POST",
        "/api/auth/logout",
        handle_logout,
        "Revoke the session a refresh token belongs to (idempotent)",
        TAG,
        status=204,
        request=RefreshRequest,
        public=True,
        errors=(400, 413),
    ),
    Operation(
        "GET",
        "/api/auth/me",
        handle_me,
        "The caller's account",
        TAG,
        response=UserOut,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/api/auth/.well-known/jwks.json",
        handle_jwks,
        "Public keys that verify access tokens (JWKS)",
        TAG,
        response=Jwks,
        public=True,
    ),
    Operation(
        "GET",
        "/api/users",
        handle_find_user,
        "Find a user by e-mail address",
        "users",
        response=UserSummary,
        query=UserQuery,
        errors=(404, 422),
    ),
]
