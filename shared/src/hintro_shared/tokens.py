"""Access-token verification for the gateway and every service (defence in depth).

Tokens are JWTs signed by the auth service with an asymmetric key (ES256 by default) named by
``kid``; verifiers find the public key in auth's JWKS. :class:`TokenVerifier` pins the accepted
algorithms (so ``alg: none`` and HMAC-with-the-public-key confusion are refused), requires every
claim the contract names, and raises :class:`InvalidToken` for any failure. :func:`authenticate`
is what a route handler calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import jwt
from aiohttp import web

from hintro_shared.caller import Caller
from hintro_shared.config import ServiceSettings
from hintro_shared.errors import DependencyUnavailable
from hintro_shared.http import REQUEST_ID_HEADER, origin_socket_id
from hintro_shared.logging import request_id_var
from hintro_shared.problems import unauthorized

_log = logging.getLogger(__name__)

REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")
# Symmetric keys never belong in a public JWKS: accepting one would let anyone who read the JWKS
# forge tokens.
_ASYMMETRIC_KTY = frozenset({"EC", "OKP", "RSA"})
_MAX_KID_LENGTH = 128
_MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is missing, malformed, expired, forged or otherwise unacceptable."""


class KeysUnavailable(InvalidToken, DependencyUnavailable):
    """The verification keys could not be fetched, so a token with an unseen ``kid`` cannot be
    judged. It is an :class:`InvalidToken` (callers that only catch that still refuse the token),
    and a ``DependencyUnavailable``, which :func:`authenticate` lets through as a 503."""


@dataclass(frozen=True)
class Claims:
    """The verified claims of an access token."""

    sub: str
    jti: str
    iat: int
    exp: int
    kid: str = ""
    sid: str = ""
    """The session (refresh-token family) the token was issued for; empty in tokens from
    before sessions were named."""

    @property
    def user_id(self) -> str:
        """The authenticated user's id (the ``sub`` claim)."""
        return self.sub


class KeySource(Protocol):
    """Where a verifier finds the public key for a ``kid``."""

    async def get(self, kid: str) -> Any:
        """The verification key (a ``jwt.PyJWK``) for ``kid``; raises :class:`InvalidToken`
        when there is none."""
        ...


def parse_jwks(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable signature keys of a JWKS, by ``kid``; keys without a ``kid``, symmetric keys,
    encryption keys and keys PyJWT cannot load are skipped (with a warning)."""
    keys: dict[str, jwt.PyJWK] = {}
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWKS needs a 'keys' list")
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            _log.warning("JWKS key without a kid skipped")
            continue
        if entry.get("kty") not in _ASYMMETRIC_KTY or entry.get("use", "sig") != "sig":
            _log.warning("JWKS key skipped (not an asymmetric signature key)", extra={"kid": kid})
            continue
        try:
            keys[kid] = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            _log.warning("JWKS key skipped: %s", exc, extra={"kid": kid})
    return keys


class StaticKeySource(KeySource):
    """Keys from a JWKS given up front (the auth service's own keys; tests)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = parse_jwks(jwks)

    async def get(self, kid: str) -> Any:
        """The key for ``kid`` or :class:`InvalidToken`."""
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("unknown signing key") from None

    async def close(self) -> None:
        """Nothing to release; present so every source closes the same way."""


class JwksKeySource(KeySource):
    """Keys fetched from the auth service's JWKS URL and cached by ``kid``.

    An unknown ``kid`` triggers a refetch (that is how a rotated-in key is learnt), but at most
    once per ``min_refetch_interval`` seconds, so a stream of tokens with made-up kids cannot
    make verifiers hammer auth. The whole set is also refreshed after ``max_age`` seconds so a
    key auth stops publishing stops being trusted; if that refresh fails the cached keys stay in
    use (stale-if-error).
    """

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        min_refetch_interval: float = 5.0,
        max_age: float = 300.0,
        timeout: float = 3.0,
    ) -> None:
        self._url = url
        self._session = session
        self._owns_session = session is None
        self._min_refetch_interval = min_refetch_interval
        self._max_age = max_age
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # monotonic time of the last successful fetch
        self._attempted_at: float | None = None  # monotonic time of the last attempt
        self._last_attempt_failed = False
        self._lock = asyncio.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self.fetch_count = 0
        """Fetch attempts so far (observability and tests)."""

    async def get(self, kid: str) -> Any:
        """The key for ``kid``, fetching the JWKS when the kid is unknown.

        A known kid never waits on the network: an old key set is refreshed in the background."""
        now = time.monotonic()
        key = self._keys.get(kid)
        if key is not None:
            if self._is_stale(now) and self._refresh_task is None and self._may_fetch(now):
                self._refresh_task = asyncio.create_task(self._refresh())
            return key
        async with self._lock:
            # Another request may have fetched while this one waited for the lock.
            key = self._keys.get(kid)
            if key is None and self._may_fetch(time.monotonic()):
                await self._fetch()
                key = self._keys.get(kid)
            if key is not None:
                return key
            if self._last_attempt_failed:
                raise KeysUnavailable("the signing keys cannot be fetched")
            raise InvalidToken("unknown signing key")

    async def _refresh(self) -> None:
        try:
            async with self._lock:
                if self._may_fetch(time.monotonic()):
                    await self._fetch()
        finally:
            self._refresh_task = None

    def _is_stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self._max_age

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refetch_interval

    async def _fetch(self) -> None:
        now = time.monotonic()
        self._attempted_at = now
        self.fetch_count += 1
        try:
            session = self._session_or_new()
            async with session.get(self._url, timeout=self._timeout) as response:
                response.raise_for_status()
                body = await response.json(content_type=None)
            keys = parse_jwks(body)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._last_attempt_failed = True
            _log.warning("JWKS fetch failed: %s", type(exc).__name__, extra={"url": self._url})
            return
        self._keys = keys
        self._fetched_at = now
        self._last_attempt_failed = False

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Stop a background refresh and close the HTTP session if this source created it."""
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh_task
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None


class TokenVerifier:
    """Verifies access tokens: signature with a pinned algorithm, ``kid``, and the claims
    ``exp``, ``iat`` (not in the future), ``iss``, ``aud``, ``sub``, ``jti``.

    Successfully verified claims are cached per exact token string until the token expires (a
    bounded LRU), so a hot token costs a dictionary lookup instead of an ECDSA verification.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        algorithms: tuple[str, ...] = ("ES256",),
        leeway: float = 0.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not algorithms or any(
            alg.lower() == "none" or alg.startswith("HS") for alg in algorithms
        ):
            raise ValueError("only asymmetric signature algorithms may be accepted")
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._algorithms = algorithms
        self._leeway = leeway
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, Claims] = OrderedDict()

    async def verify(self, token: str) -> Claims:
        """The token's claims, or :class:`InvalidToken`."""
        cached = self._cache.get(token)
        if cached is not None:
            if cached.exp > self._clock() - self._leeway:
                self._cache.move_to_end(token)
                return cached
            del self._cache[token]
        claims = await self._verify_uncached(token)
        if self._cache_size > 0:
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims

    async def _verify_uncached(self, token: str) -> Claims:
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        # Refuse a foreign algorithm before looking up a key, so such tokens cost nothing.
        if header.get("alg") not in self._algorithms:
            raise InvalidToken("algorithm not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > _MAX_KID_LENGTH:
            raise InvalidToken("the token names no usable kid")
        key = await self._keys.get(kid)
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self._algorithms),
                issuer=self._issuer,
                audience=self._audience,
                # The time claims are checked below against this verifier's own clock.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        sub, jti = payload["sub"], payload["jti"]
        if not isinstance(sub, str) or not sub or not isinstance(jti, str) or not jti:
            raise InvalidToken("sub and jti must be non-empty strings")
        iat, exp, nbf = (_numeric_date(payload, name) for name in ("iat", "exp", "nbf"))
        now = self._clock()
        if exp is None or exp <= now - self._leeway:
            raise InvalidToken("the token has expired")
        if iat is None or iat > now + self._leeway:
            raise InvalidToken("the token was issued in the future")
        if nbf is not None and nbf > now + self._leeway:
            raise InvalidToken("the token is not yet valid")
        sid = payload.get("sid")
        return Claims(
            sub=sub, jti=jti, iat=iat, exp=exp, kid=kid, sid=sid if isinstance(sid, str) else ""
        )


def _numeric_date(payload: Mapping[str, Any], name: str) -> int | None:
    """A NumericDate claim in whole seconds, ``None`` when absent; InvalidToken if not numeric."""
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"{name} must be a number")
    return int(value)


TOKEN_VERIFIER = web.AppKey("hintro.token_verifier", TokenVerifier)
CLAIMS = web.RequestKey("hintro.claims", Claims)


def token_verifier_ctx(
    settings: ServiceSettings, keys: KeySource | None = None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that puts a :class:`TokenVerifier` on the app.

    By default it reads auth's JWKS (``settings.jwks_url``) lazily on the first token, so a
    service starts even while auth is still booting; pass ``keys`` to verify with other keys."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        source: KeySource = keys if keys is not None else JwksKeySource(settings.jwks_url)
        app[TOKEN_VERIFIER] = TokenVerifier(
            source,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.token_leeway_seconds,
        )
        yield
        if keys is None and isinstance(source, JwksKeySource):
            await source.close()

    return ctx


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None``."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


async def authenticate(request: web.Request) -> Claims:
    """The caller's verified claims, or a 401 problem with ``WWW-Authenticate``.

    The result is kept on the request, so calling it twice verifies once. If auth's keys cannot
    be fetched for an unseen ``kid`` the request fails with 503 (a dependency is down), not 401.
    """
    if CLAIMS in request:
        return request[CLAIMS]
    token = bearer_token(request)
    if token is None:
        raise unauthorized("A bearer token is required.")
    try:
        claims = await request.app[TOKEN_VERIFIER].verify(token)
    except KeysUnavailable:
        raise
    except InvalidToken:
        raise unauthorized("The bearer token is invalid or expired.") from None
    request[CLAIMS] = claims
    return claims


async def authenticated_caller(request: web.Request) -> Caller:
    """The request's :class:`Caller` from its verified token (401 as :func:`authenticate`), with
    the request id for tracing and the socket id whose echo is suppressed."""
    claims = await authenticate(request)
    return Caller(
        user_id=claims.sub,
        authorization=request.headers["Authorization"],
        request_id=request_id_var.get() or request.headers.get(REQUEST_ID_HEADER),
        socket_id=origin_socket_id(request),
    )
