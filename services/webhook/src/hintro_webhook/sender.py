"""One delivery attempt over HTTP, safely: resolve the host, refuse it if any address it
resolves to is forbidden (:mod:`hintro_webhook.guard`), then connect to the one address that
was checked (the URL's host replaced by the pinned IP; ``Host`` and TLS server name keep the
real name, so certificates are still verified against it). A second lookup by the HTTP client,
which DNS rebinding would exploit, never happens. No redirects are followed, no proxy from the
environment is used, connecting and the whole attempt are bounded in time, and at most
``max_response_bytes`` of the answer are read."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from hintro_shared.refusals import RuleBroken
from hintro_webhook.domain import Target, UrlRules, check_url, refuse_address
from hintro_webhook.guard import Address, literal_address

Resolve = Callable[[str, int], Awaitable[Sequence[Address]]]


async def system_resolve(host: str, port: int) -> Sequence[Address]:
    """Every address ``host`` resolves to (the system resolver)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class Unreachable(Exception):
    """The host cannot be resolved or resolves to nothing usable."""


async def pinned_address(target: Target, rules: UrlRules, resolve: Resolve) -> Address:
    """The address to connect to: the literal one, or the first of the host's addresses once
    every one of them passed the guard (one bad address refuses the host: a name that can
    point inside is not trusted with a request). Raises ``RuleBroken`` (forbidden) or
    :class:`Unreachable`."""
    literal = literal_address(target.host)
    if literal is not None:
        refuse_address(literal, rules)
        return literal
    try:
        addresses = await resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise Unreachable(f"cannot resolve {target.host}") from exc
    if not addresses:
        raise Unreachable(f"{target.host} has no address")
    for address in addresses:
        refuse_address(address, rules)
    return addresses[0]


@dataclass(frozen=True)
class Outcome:
    """How an attempt went: an HTTP status (0 when there was none) and an error if it failed."""

    status: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300


@dataclass(frozen=True)
class SenderLimits:
    connect_timeout_seconds: float = 5.0
    total_timeout_seconds: float = 15.0
    max_response_bytes: int = 64 * 1024


class Sender:
    """Makes delivery attempts (one shared HTTP client; ``start()``/``close()``)."""

    def __init__(
        self, rules: UrlRules, limits: SenderLimits, resolve: Resolve = system_resolve
    ) -> None:
        self._rules = rules
        self._limits = limits
        self._resolve = resolve
        self._session: aiohttp.ClientSession | None = None

    @property
    def rules(self) -> UrlRules:
        return self._rules

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(use_dns_cache=False, limit=100, force_close=True)
        self._session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(
                total=self._limits.total_timeout_seconds,
                sock_connect=self._limits.connect_timeout_seconds,
            ),
            auto_decompress=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def check(self, url: str) -> None:
        """Refuse a URL that may not be registered (its form, then its resolved addresses);
        a host that does not resolve is refused too."""
        target = check_url(url, self._rules)
        try:
            await pinned_address(target, self._rules, self._resolve)
        except Unreachable:
            raise RuleBroken(
                ("body", "url"),
                "host does not resolve",
                type_="url",
                detail="The URL's host name could not be found.",
            ) from None

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """POST ``body`` to ``url`` once; never raises for what the endpoint or network did."""
        assert self._session is not None, "Sender.start() first"
        try:
            target = check_url(url, self._rules)
            address = await pinned_address(target, self._rules, self._resolve)
        except RuleBroken as refused:
            return Outcome(0, f"refused: {refused.message}")
        except Unreachable as exc:
            return Outcome(0, str(exc))
        pinned = URL(url).with_host(str(address))
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        if literal_address(target.host) is not None and address.version == 6:
            host_header = f"[{target.host.strip('[]')}]" + (
                "" if target.port == default_port else f":{target.port}"
            )
        try:
            async with self._session.post(
                pinned,
                data=body,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "User-Agent": "Hintro-Webhooks/1",
                    "Host": host_header,
                },
                allow_redirects=False,
                server_hostname=target.host if target.scheme == "https" else None,
            ) as response:
                await response.content.read(self._limits.max_response_bytes)
                status = response.status
        except TimeoutError:
            return Outcome(0, "timed out")
        except aiohttp.ClientError as exc:
            return Outcome(0, f"connection failed: {type(exc).__name__}")
        if 200 <= status < 300:
            return Outcome(status, None)
        return Outcome(status, f"HTTP {status}")
