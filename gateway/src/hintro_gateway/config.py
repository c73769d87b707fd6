"""The gateway's settings: where each service lives, how the proxy pools and times out, the
rate limits, CORS and the trusted proxies. Every field maps to an upper-case environment
variable (``BOARD_URL``, ``RATE_LIMIT_DEFAULT``, ...)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from hintro_shared.config import ServiceSettings, split_commas

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RatePolicy:
    """A quota of ``quota`` requests per ``window`` seconds (GCRA: bursts up to the quota)."""

    name: str
    quota: int
    window: float

    @classmethod
    def parse(cls, name: str, text: str) -> RatePolicy:
        """Read ``"600/60"`` (600 requests per 60 seconds)."""
        quota_text, sep, window_text = text.partition("/")
        try:
            quota, window = int(quota_text), float(window_text)
        except ValueError:
            raise ValueError(f"rate limit {text!r} is not '<requests>/<seconds>'") from None
        if not sep or quota < 1 or window <= 0:
            raise ValueError(f"rate limit {text!r} needs a positive quota and window")
        return cls(name, quota, window)

    @cached_property
    def header_item(self) -> str:
        """This policy as an item of the ``RateLimit-Policy`` header (IETF draft); built once,
        since every rate-limited response carries it."""
        window = int(self.window) if self.window.is_integer() else self.window
        return f'"{self.name}";q={self.quota};w={window}'


class GatewaySettings(ServiceSettings):
    """Settings of the gateway (the only public entry of the suite)."""

    service_name: str = "gateway"
    port: int = Field(default=8080, ge=1, le=65535)

    # Upstreams (auth_url comes from ServiceSettings: the gateway also reads auth's JWKS there).
    board_url: str = "http://127.0.0.1:8002"
    task_url: str = "http://127.0.0.1:8003"
    activity_url: str = "http://127.0.0.1:8004"
    realtime_url: str = "http://127.0.0.1:8005"
    notification_url: str = "http://127.0.0.1:8006"
    webhook_url: str = "http://127.0.0.1:8007"
    importer_url: str = "http://127.0.0.1:8008"
    # Several replicas of a service (comma lists); when set they replace the single URL.
    auth_urls: Annotated[tuple[str, ...], NoDecode] = ()
    board_urls: Annotated[tuple[str, ...], NoDecode] = ()
    task_urls: Annotated[tuple[str, ...], NoDecode] = ()
    activity_urls: Annotated[tuple[str, ...], NoDecode] = ()
    realtime_urls: Annotated[tuple[str, ...], NoDecode] = ()
    notification_urls: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_urls: Annotated[tuple[str, ...], NoDecode] = ()
    importer_urls: Annotated[tuple[str, ...], NoDecode] = ()
    # The largest file an upload route (POST /api/imports) takes; other bodies keep
    # MAX_BODY_BYTES. The importer's own IMPORT_MAX_BYTES should be the same.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    # Requests the gateway handles at once (Socket.IO and the operational routes aside); past
    # it 503 with Retry-After at once (hintro_shared.overload).
    max_in_flight: int = Field(default=2048, ge=1)
    # Requests in flight to one service (all its replicas together; Socket.IO aside); past it
    # 503 with Retry-After at once, without a connection waited for.
    upstream_max_in_flight: int = Field(default=128, ge=1)
    # The pooled keep-alive connections to the services (one aiohttp connector for all); at
    # least upstream_max_in_flight for each service, so a saturated service never holds the
    # connections another one needs.
    upstream_pool_size: int = Field(default=1024, ge=1)
    upstream_keepalive_seconds: float = Field(default=30.0, gt=0)
    upstream_connect_timeout: float = Field(default=2.0, gt=0)
    upstream_timeout: float = Field(default=30.0, gt=0)
    # Upstream responses at most this long (with a Content-Length) are read whole, which is
    # faster for the many small JSON answers; longer or unsized ones are streamed.
    buffer_response_bytes: int = Field(default=64 * 1024, ge=0)
    # Circuit breaker per service: this many consecutive transport failures open it for
    # circuit_reset_seconds, during which the gateway answers 503 at once.
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_reset_seconds: float = Field(default=5.0, gt=0)

    # Rate limits, "<requests>/<seconds>" (GCRA in Redis; an in-process fallback without it).
    rate_limit_enabled: bool = True
    rate_limit_default: str = "600/60"
    rate_limit_auth_ip: str = "20/60"
    # Failed logins and registers per (email, address); per email from any address (not for
    # addresses the account signed in from lately: see docs/gateway.md, "Sign-in guessing").
    rate_limit_auth_email_ip: str = "5/60"
    rate_limit_auth_email: str = "10/60"
    # How long a successful login's address stays exempt from its email's failure bucket.
    rate_limit_known_address_days: float = Field(default=30.0, gt=0)
    rate_limit_socketio: str = "300/60"
    # Looking people up by e-mail address (GET /api/users?email=, and adding a member, which
    # resolves an address too), per user: enough to invite a team, far too little to enumerate.
    rate_limit_user_lookup: str = "30/300"
    rate_limit_prefix: str = "hintro:rl:"
    rate_limit_redis_retry_seconds: float = Field(default=2.0, gt=0)
    rate_limit_local_max_keys: int = Field(default=100_000, ge=100)
    # Checks arriving together share one pipelined Redis round trip (each is still charged);
    # false: one EVALSHA round trip per request. docs/performance.md.
    rate_limit_batch: bool = True
    # A hot key takes up to this many requests' charges from Redis at once and spends them in
    # process (never more than a hundredth of the policy's quota; 1: every request its own
    # round trip), within RATE_LIMIT_LEASE_SECONDS. docs/gateway.md, "Rate limits".
    rate_limit_lease_max: int = Field(default=32, ge=1, le=1000)
    rate_limit_lease_seconds: float = Field(default=1.0, gt=0, le=60)

    # Client address: X-Forwarded-For is believed only from these peers (comma list of CIDRs).
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    # CORS: allowed origins (comma list; "*" for any, which forbids credentials).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    cors_allow_credentials: bool = False
    cors_max_age_seconds: int = Field(default=600, ge=0)

    gzip_min_bytes: int = Field(default=1024, ge=0)
    ws_max_message_bytes: int = Field(default=1024 * 1024, ge=1024)

    # The built web app served at "/" (hintro_gateway.static). Unset: <repo>/web/dist when the
    # gateway runs from a checkout in development and that build exists; else no app is served.
    web_dist_dir: Path | None = None

    @field_validator(
        "trusted_proxies",
        "cors_origins",
        "auth_urls",
        "board_urls",
        "task_urls",
        "activity_urls",
        "realtime_urls",
        "notification_urls",
        "webhook_urls",
        "importer_urls",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ipaddress.ip_network(network, strict=False)
        return value

    @field_validator(
        "rate_limit_default",
        "rate_limit_auth_ip",
        "rate_limit_auth_email_ip",
        "rate_limit_auth_email",
        "rate_limit_socketio",
        "rate_limit_user_lookup",
    )
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        RatePolicy.parse("check", value)
        return value

    @model_validator(mode="after")
    def _pool_holds_every_service(self) -> GatewaySettings:
        needed = self.upstream_max_in_flight * len(self.upstream_urls)
        if self.upstream_pool_size < needed:
            raise ValueError(
                f"UPSTREAM_POOL_SIZE ({self.upstream_pool_size}) must be at least "
                f"UPSTREAM_MAX_IN_FLIGHT x services ({needed}): a saturated service would "
                "otherwise hold the connections the others need"
            )
        return self

    @model_validator(mode="after")
    def _no_credentials_with_wildcard(self) -> GatewaySettings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError("CORS_ALLOW_CREDENTIALS cannot be used with CORS_ORIGINS='*'")
        return self

    @property
    def upstream_urls(self) -> dict[str, tuple[str, ...]]:
        """Base URLs of each service's replicas, by service name."""
        single = {
            "auth": (self.auth_url, self.auth_urls),
            "board": (self.board_url, self.board_urls),
            "task": (self.task_url, self.task_urls),
            "activity": (self.activity_url, self.activity_urls),
            "realtime": (self.realtime_url, self.realtime_urls),
            "notification": (self.notification_url, self.notification_urls),
            "webhook": (self.webhook_url, self.webhook_urls),
            "importer": (self.importer_url, self.importer_urls),
        }
        return {
            name: tuple(url.rstrip("/") for url in (many or (one,)))
            for name, (one, many) in single.items()
        }

    @property
    def web_dist(self) -> Path | None:
        """The directory of the built web app to serve, if any."""
        if self.web_dist_dir is not None:
            return self.web_dist_dir
        if self.environment != "development":
            return None
        # gateway/src/hintro_gateway/config.py -> the checkout (an editable install).
        checkout_dist = Path(__file__).resolve().parents[3] / "web" / "dist"
        return checkout_dist if (checkout_dist / "index.html").is_file() else None

    @property
    def trusted_networks(self) -> tuple[IPNetwork, ...]:
        """``trusted_proxies`` parsed."""
        return tuple(ipaddress.ip_network(net, strict=False) for net in self.trusted_proxies)

    @property
    def rate_policies(self) -> dict[str, RatePolicy]:
        """Every rate policy by name: ``default`` (per user, or per IP when anonymous),
        ``auth-ip`` (every login and register per address), ``auth-email-ip`` and ``auth-email``
        (their failures per email and address, per email), ``socketio`` (per IP),
        ``user-lookup`` (e-mail lookups and member additions per user)."""
        return {
            "default": RatePolicy.parse("default", self.rate_limit_default),
            "auth-ip": RatePolicy.parse("auth-ip", self.rate_limit_auth_ip),
            "auth-email-ip": RatePolicy.parse("auth-email-ip", self.rate_limit_auth_email_ip),
            "auth-email": RatePolicy.parse("auth-email", self.rate_limit_auth_email),
            "socketio": RatePolicy.parse("socketio", self.rate_limit_socketio),
            "user-lookup": RatePolicy.parse("user-lookup", self.rate_limit_user_lookup),
        }
