"""What happens to each request at the gateway: authenticate, rate-limit, forward.

Private routes need a valid access token, verified here from auth's JWKS (no call to auth per
request); the verified user id is forwarded as ``X-User-Id`` and the ``Authorization`` header is
forwarded as well, so each service verifies the token again (defence in depth). Rate limits are
per user when authenticated and per client address otherwise (an IPv6 client by its /64); login
and register are also limited per address, and their failures per (email, address) and per
email, in a way that stops password guessing without locking the owner out (docs/gateway.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from hintro_gateway.clientip import address_key, client_ip
from hintro_gateway.config import GatewaySettings, IPNetwork, RatePolicy
from hintro_gateway.metrics import RATE_LIMITED
from hintro_gateway.proxy import Proxy
from hintro_gateway.ratelimit import Decision, Limit, RateLimiter
from hintro_gateway.routing import SOCKETIO_SERVICE, Route
from hintro_gateway.websocket import bridge_websocket, is_websocket_upgrade
from hintro_shared import jsonutil
from hintro_shared.problems import Problem
from hintro_shared.tokens import Claims, authenticate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RATE_DECISION = web.RequestKey("hintro.gateway.rate_decision", Decision)
_MAX_EMAIL_LENGTH = 320


def email_of(body: bytes) -> str | None:
    """The normalised ``email`` of a login/register JSON body, if it has one."""
    try:
        data = jsonutil.loads(body)
    except ValueError:
        return None
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email.strip() or len(email) > _MAX_EMAIL_LENGTH:
        return None
    return email.strip().lower()


def _email_key(email: str) -> str:
    # Hashed: the limiter's keys should not be a list of the users' addresses.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` (IETF httpapi draft) for every policy charged."""
    return {
        "RateLimit-Policy": ", ".join(state.policy.header_item for state in decision.states),
        "RateLimit": ", ".join(
            f'"{state.policy.name}";r={state.remaining};t={state.reset_seconds}'
            for state in decision.states
        ),
    }


@dataclass(frozen=True)
class SignInGuard:
    """What a login or register is charged beyond the per-address limits."""

    failure_limits: tuple[Limit, ...]
    """Buckets that count failed attempts: charged up front, given back on success."""
    known_key: str
    """Marks the address as one the account signs in from."""


class Gateway:
    """The per-request pipeline, with the resources it uses."""

    def __init__(self, settings: GatewaySettings, proxy: Proxy, limiter: RateLimiter) -> None:
        self.proxy = proxy
        self.limiter = limiter
        self._enabled = settings.rate_limit_enabled
        self._trusted: tuple[IPNetwork, ...] = settings.trusted_networks
        policies = settings.rate_policies
        self._default: RatePolicy = policies["default"]
        self._auth_ip: RatePolicy = policies["auth-ip"]
        self._auth_email_ip: RatePolicy = policies["auth-email-ip"]
        self._auth_email: RatePolicy = policies["auth-email"]
        self._known_seconds = settings.rate_limit_known_address_days * 86_400
        self._socketio: RatePolicy = policies["socketio"]
        self._lookup: RatePolicy = policies["user-lookup"]
        self._ws_max = settings.ws_max_message_bytes
        self._upload_max = settings.import_max_bytes

    async def limit(self, request: web.Request, limits: list[Limit]) -> None:
        """Charge ``limits``; 429 with ``Retry-After`` when one is exhausted."""
        if not self._enabled:
            return
        decision = await self.limiter.check(limits)
        request[RATE_DECISION] = decision
        if not decision.allowed:
            RATE_LIMITED.labels(decision.denied_by).inc()
            retry = max(1, decision.retry_after_seconds)
            raise Problem(
                429,
                f"Too many requests; retry in {retry} seconds.",
                headers={"Retry-After": str(retry)},
            )

    async def route(self, request: web.Request, route: Route) -> web.StreamResponse:
        """Authenticate (private routes), rate-limit and forward one API request."""
        ip = address_key(client_ip(request, self._trusted))
        claims: Claims | None = None
        if not route.public:
            try:
                claims = await authenticate(request)
            except Problem:
                # Bad tokens cost a signature check each: throttle them per IP like anonymous calls.
                await self.limit(request, [Limit(self._default, f"default:ip:{ip}")])
                raise
        limits = [
            Limit(self._default, f"default:user:{claims.sub}")
            if claims is not None
            else Limit(self._default, f"default:ip:{ip}")
        ]
        looks_up = route.lookup and (route.method != "GET" or "email" in request.query)
        if looks_up and claims is not None:
            limits.append(Limit(self._lookup, f"user-lookup:user:{claims.sub}"))
        body: bytes | None = None
        guard: SignInGuard | None = None
        if route.read_email:
            # Small JSON (bounded by the body limit: 413 past it); forwarded as read.
            body = await request.read()
            limits.append(Limit(self._auth_ip, f"auth-ip:{ip}"))
            email = email_of(body)
            if email is not None and self._enabled:
                guard = await self._sign_in_guard(email, ip)
                limits += guard.failure_limits
        await self.limit(request, limits)
        user_id = claims.sub if claims is not None else None
        if guard is None:
            return await self.proxy.forward(
                request,
                route.service,
                user_id=user_id,
                body=body,
                slow=route.slow,
                max_body=self._upload_max if route.upload else None,
            )
        try:
            response = await self.proxy.forward(
                request, route.service, user_id=user_id, body=body, slow=route.slow
            )
        except Problem as problem:
            if problem.status == 503:
                await self.limiter.refund(guard.failure_limits)  # nothing was tried
            raise
        await self._settle(guard, response.status)
        return response

    async def _sign_in_guard(self, email: str, ip: str) -> SignInGuard:
        """The failure buckets of a login or register for ``email`` from ``ip``: per (email,
        address) always, per email unless the account signed in from this address lately."""
        key = _email_key(email)
        known = f"auth-known:{key}:{ip}"
        limits = [Limit(self._auth_email_ip, f"auth-email-ip:{key}:{ip}")]
        if not await self.limiter.marked(known):
            limits.append(Limit(self._auth_email, f"auth-email:{key}"))
        return SignInGuard(tuple(limits), known)

    async def _settle(self, guard: SignInGuard, status: int) -> None:
        """The failure buckets were charged before auth answered: give the charge back unless
        the attempt failed. A 2xx (right password, new account) also marks the address as one
        the account signs in from; a 503 means auth refused the work without judging it."""
        if 200 <= status < 300:
            await self.limiter.refund(guard.failure_limits)
            await self.limiter.mark(guard.known_key, self._known_seconds)
        elif status == 503:
            await self.limiter.refund(guard.failure_limits)

    async def socketio(self, request: web.Request) -> web.StreamResponse:
        """``/socket.io/``: per-IP limit, then a websocket bridge or plain proxying."""
        ip = address_key(client_ip(request, self._trusted))
        await self.limit(request, [Limit(self._socketio, f"socketio:ip:{ip}")])
        # Affinity by client address: an Engine.IO polling session lives in one replica.
        if is_websocket_upgrade(request):
            return await bridge_websocket(
                request, self.proxy, max_message_bytes=self._ws_max, affinity=ip
            )
        return await self.proxy.forward(
            request, SOCKETIO_SERVICE, user_id=None, affinity=ip, long_lived=True
        )

    async def anonymous(self, request: web.Request) -> None:
        """The per-IP default limit, for the gateway's own public routes."""
        ip = address_key(client_ip(request, self._trusted))
        await self.limit(request, [Limit(self._default, f"default:ip:{ip}")])


GATEWAY = web.AppKey("hintro.gateway", Gateway)


def route_handler(route: Route) -> Handler:
    """The aiohttp handler of one routing-table entry."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await request.app[GATEWAY].route(request, route)

    handler.__name__ = f"proxy_{route.service}"
    return handler


async def handle_socketio(request: web.Request) -> web.StreamResponse:
    """The Socket.IO endpoint."""
    return await request.app[GATEWAY].socketio(request)
