"""The auth service's HTTP surface, declared once as :data:`OPERATIONS`: handlers parse, call
a use case and write the schema; refusals (``EmailTaken``, ``InvalidCredentials``...) become
problem+json in the shared problem middleware. Browser sessions (the refresh token in a cookie)
are :mod:`hintro_auth.cookies`."""

from __future__ import annotations

from aiohttp import web

from hintro_auth.cookies import SESSION_COOKIE, refresh_cookie, require_trusted_origin
from hintro_auth.domain import TokenPair
from hintro_auth.resets import PasswordResets
from hintro_auth.schemas import (
    AccessTokenOut,
    Jwks,
    LoginRequest,
    MePatch,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPairOut,
    UserOut,
)
from hintro_auth.service import AuthService
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.problems import read_json, refusal_problem
from hintro_shared.refusals import Unauthenticated
from hintro_shared.tokens import authenticate

AUTH_SERVICE = web.AppKey("hintro.auth.service", AuthService)
PASSWORD_RESETS = web.AppKey("hintro.auth.password_resets", PasswordResets)
JWKS_BODY = web.AppKey("hintro.auth.jwks_body", bytes)
JWKS_CACHE_CONTROL = web.AppKey("hintro.auth.jwks_cache_control", str)

TAG = "auth"
# RFC 6749 section 5.1: responses carrying tokens must not be cached by anyone.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _session(
    request: web.Request, pair: TokenPair, *, cookie: bool, status: int = 200
) -> web.Response:
    """A new session's answer: the pair in the body, or (a browser session) the access token
    in the body and the refresh token in the cookie."""
    if not cookie:
        body = TokenPairOut.model_validate(pair, from_attributes=True)
        return json_response(body, status=status, headers=_NO_STORE)
    cookie_header = request.app[SESSION_COOKIE].set_header(pair.refresh_token)
    return json_response(
        AccessTokenOut.model_validate(pair, from_attributes=True),
        status=status,
        headers={**_NO_STORE, "Set-Cookie": cookie_header},
    )


async def _refresh_body(request: web.Request) -> RefreshRequest:
    """The refresh/logout body; none at all means ``{}`` (use the cookie)."""
    if not request.body_exists:
        return RefreshRequest()
    return await read_json(request, RefreshRequest)


async def handle_register(request: web.Request) -> web.Response:
    """Create an account; with ``session: cookie`` also sign in (a browser session)."""
    body = await read_json(request, RegisterRequest)
    cookie = body.session == "cookie"
    if cookie:
        require_trusted_origin(request)
    service = request.app[AUTH_SERVICE]
    user = await service.register(body.email, body.password, body.name)
    if cookie:
        return _session(request, await service.start_session(user.id), cookie=True, status=201)
    return json_response(UserOut.model_validate(user, from_attributes=True), status=201)


async def handle_login(request: web.Request) -> web.Response:
    """Start a session with an e-mail address and password."""
    body = await read_json(request, LoginRequest)
    cookie = body.session == "cookie"
    if cookie:
        require_trusted_origin(request)
    pair = await request.app[AUTH_SERVICE].login(body.email, body.password)
    return _session(request, pair, cookie=cookie)


async def handle_refresh(request: web.Request) -> web.Response:
    """Exchange a refresh token (the body's, or else the cookie's) for a new one; the
    presented one is spent."""
    body = await _refresh_body(request)
    if body.refresh_token is not None:
        pair = await request.app[AUTH_SERVICE].refresh(body.refresh_token)
        return _session(request, pair, cookie=False)
    require_trusted_origin(request)
    token = refresh_cookie(request)
    try:
        if token is None:
            raise Unauthenticated("No refresh token: send {refreshToken} or the session cookie.")
        pair = await request.app[AUTH_SERVICE].refresh(token)
    except Unauthenticated as exc:  # InvalidRefreshToken among them
        # The one refusal a handler touches: its answer is unchanged, plus clearing the
        # cookie that can no longer refresh (so the browser stops sending it).
        problem = refusal_problem(exc)
        problem.headers["Set-Cookie"] = request.app[SESSION_COOKIE].clear_header()
        raise problem from None
    return _session(request, pair, cookie=True)


async def handle_logout(request: web.Request) -> web.Response:
    """End the session a refresh token (the body's, or else the cookie's) belongs to; 204
    even for unknown tokens. A cookie session's cookie is cleared."""
    body = await _refresh_body(request)
    if body.refresh_token is not None:
        await request.app[AUTH_SERVICE].logout(body.refresh_token)
        return web.Response(status=204)
    require_trusted_origin(request)
    token = refresh_cookie(request)
    if token is not None:
        await request.app[AUTH_SERVICE].logout(token)
    return web.Response(
        status=204, headers={"Set-Cookie": request.app[SESSION_COOKIE].clear_header()}
    )


async def handle_me(request: web.Request) -> web.Response:
    """The caller's account."""
    claims = await authenticate(request)
    user = await request.app[AUTH_SERVICE].user(claims.sub)
    return json_response(UserOut.model_validate(user, from_attributes=True))


async def handle_update_me(request: web.Request) -> web.Response:
    """Change the caller's name and/or password (a password change ends their other
    sessions)."""
    claims = await authenticate(request)
    body = await read_json(request, MePatch)
    user = await request.app[AUTH_SERVICE].update_me(
        claims.sub,
        claims.sid,
        name=body.name,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return json_response(UserOut.model_validate(user, from_attributes=True))


async def handle_jwks(request: web.Request) -> web.Response:
    """The public keys access tokens are verified with."""
    return web.Response(
        body=request.app[JWKS_BODY],
        content_type="application/json",
        headers={"Cache-Control": request.app[JWKS_CACHE_CONTROL]},
    )


RESET_ACCEPTED = (
    "If an account uses that address, a link to reset its password is on its way. "
    "It works once, for 30 minutes."
)


async def handle_request_password_reset(request: web.Request) -> web.Response:
    """POST /api/auth/password-reset"""
    body = await read_json(request, PasswordResetRequest)
    # In the background: the answer and its timing say nothing about the address.
    request.app[PASSWORD_RESETS].request_in_background(body.email)
    return json_response(PasswordResetAccepted(detail=RESET_ACCEPTED), status=202)


async def handle_confirm_password_reset(request: web.Request) -> web.Response:
    """POST /api/auth/password-reset/confirm"""
    body = await read_json(request, PasswordResetConfirm)
    await request.app[PASSWORD_RESETS].confirm(body.token, body.password)
    return web.Response(status=204, headers=_NO_STORE)


OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/api/auth/register",
        handle_register,
        "Register an account (with session: cookie, also sign in)",
        TAG,
        status=201,
        request=RegisterRequest,
        response=UserOut | AccessTokenOut,
        public=True,
        errors=(400, 403, 409, 413),
    ),
    Operation(
        "POST",
        "/api/auth/login",
        handle_login,
        "Log in and receive an access and a refresh token (or a session cookie)",
        TAG,
        request=LoginRequest,
        response=TokenPairOut | AccessTokenOut,
        public=True,
        errors=(400, 401, 403, 413),
    ),
    Operation(
        "POST",
        "/api/auth/refresh",
        handle_refresh,
        "Rotate a refresh token (the body's or the session cookie's) into a new one",
        TAG,
        request=RefreshRequest,
        request_optional=True,
        response=TokenPairOut | AccessTokenOut,
        public=True,
        errors=(400, 401, 403, 413),
    ),
    Operation(
        "POST",
        "/api/auth/logout",
        handle_logout,
        "Revoke the session a refresh token (or the session cookie) belongs to (idempotent)",
        TAG,
        status=204,
        request=RefreshRequest,
        request_optional=True,
        public=True,
        errors=(400, 403, 413),
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
        "PATCH",
        "/api/auth/me",
        handle_update_me,
        "Change my name and/or password (a password change ends my other sessions)",
        TAG,
        request=MePatch,
        response=UserOut,
        errors=(400, 403, 404, 409, 413),
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
        "POST",
        "/api/auth/password-reset",
        handle_request_password_reset,
        "Ask for a password reset link by e-mail (the same answer whether or not the address "
        "has an account)",
        TAG,
        status=202,
        request=PasswordResetRequest,
        response=PasswordResetAccepted,
        public=True,
        errors=(413, 422, 429),
    ),
    Operation(
        "POST",
        "/api/auth/password-reset/confirm",
        handle_confirm_password_reset,
        "Set a new password with the token from a reset link (ends every session)",
        TAG,
        status=204,
        request=PasswordResetConfirm,
        public=True,
        errors=(413, 422, 503),
    ),
]
