"""Forwarding one HTTP request to a service over pooled keep-alive connections.

Bodies are streamed both ways: a request body with a ``Content-Length`` goes upstream as it
arrives, and a response body that is large or of unknown length goes to the client chunk by
chunk; small responses (the common JSON answer) are read whole, which is cheaper. Every failure
of the service becomes a problem+json answer within the bounded timeouts: 502 when it refuses
or breaks, 503 while its circuit is open, 504 when it is too slow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from hintro_gateway.clientip import address_key, client_ip, is_trusted, peer_address
from hintro_gateway.config import GatewaySettings, IPNetwork
from hintro_gateway.headers import (
    client_response_headers,
    should_gzip,
    trusted_origin,
    upstream_request_headers,
)
from hintro_gateway.metrics import UPSTREAM_LATENCY, UPSTREAM_REQUESTS
from hintro_gateway.upstreams import Upstream, UpstreamPool, transport_problem
from hintro_shared.logging import request_id_var
from hintro_shared.overload import TIMEOUT_HEADER
from hintro_shared.problems import Problem

_log = logging.getLogger(__name__)
_CHUNK = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
# How much sooner than the gateway's own timeout a service is told to give up.
_DEADLINE_MARGIN_MS = 250


def _session(settings: GatewaySettings, connector: aiohttp.TCPConnector) -> aiohttp.ClientSession:
    # What both sessions share: no cookie jar, bodies passed through untouched, bounded timeouts.
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
        timeout=aiohttp.ClientTimeout(
            total=settings.upstream_timeout,
            connect=settings.upstream_connect_timeout,
            sock_connect=settings.upstream_connect_timeout,
        ),
    )


def make_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    """The one client session every proxied request shares: a pooled keep-alive connector,
    no cookie jar (a proxy must not keep its clients' cookies), no automatic decompression
    (bodies pass through untouched) and the bounded timeouts of the settings."""
    connector = aiohttp.TCPConnector(
        limit=settings.upstream_pool_size,
        # Shorter than aiohttp servers' 75 s, so the gateway, not the service, closes an idle
        # connection and a request never races a connection being closed under it.
        keepalive_timeout=settings.upstream_keepalive_seconds,
        ttl_dns_cache=60,
    )
    return _session(settings, connector)


def make_websocket_session(settings: GatewaySettings) -> aiohttp.ClientSession:
    """The session bridged websockets open their upstream sockets with. Each bridged socket
    holds its connection for its whole life, so it must not come from the pooled connector of
    :func:`make_session`: a few hundred open sockets would take every slot of that pool and
    every proxied HTTP request would then wait for one until it timed out (504). This
    connector has no limit; the number of sockets is bounded by the clients' own."""
    return _session(settings, aiohttp.TCPConnector(limit=0, ttl_dns_cache=60))


def origin_target(request: web.Request) -> str:
    """The request's path and query as sent to a service. Only origin-form (``/path?query``)
    is accepted: the gateway is no forward proxy, and an absolute-form target
    (``GET http://x/api/...``) would otherwise be glued to the service's URL."""
    target = request.raw_path
    if not target.startswith("/") or target.startswith("//"):
        raise Problem(400, "The request target must be a path, not an absolute URL.")
    return target


async def _body_chunks(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    async for chunk in content.iter_chunked(_CHUNK):
        yield chunk


def too_large(limit: int) -> Problem:
    """413 naming the limit the body passed."""
    mib = limit / (1024 * 1024)
    size = f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"
    return Problem(413, f"The request body is larger than the {size} limit.")


async def _read_bounded(content: aiohttp.StreamReader, limit: int) -> bytes:
    """A chunked body read whole, 413 as soon as it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


class Proxy:
    """Forwards requests to the services."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        pools: Mapping[str, UpstreamPool],
        settings: GatewaySettings,
        websocket_session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.session = session
        # Bridged websockets (see make_websocket_session); the pooled session when not given.
        self.websocket_session = websocket_session or session
        self.pools = pools
        self._trusted: tuple[IPNetwork, ...] = settings.trusted_networks
        self._max_body = settings.max_body_bytes
        self._buffer_limit = settings.buffer_response_bytes
        self._gzip_min = settings.gzip_min_bytes
        self._deadline_ms = max(100, int(settings.upstream_timeout * 1000) - _DEADLINE_MARGIN_MS)
        self._allowed_origins = frozenset(
            origin.rstrip("/") for origin in settings.cors_origins if origin != "*"
        )

    def forward_headers(
        self,
        request: web.Request,
        *,
        user_id: str | None,
        content_length: int | None,
        websocket: bool = False,
    ) -> CIMultiDict[str]:
        """The headers a service receives for ``request``."""
        peer = peer_address(request)
        forwarded_for = peer
        proto = request.scheme
        if self._trusted and is_trusted(peer, self._trusted):
            earlier = ", ".join(request.headers.getall("X-Forwarded-For", []))
            forwarded_for = f"{earlier}, {peer}" if earlier else peer
            proto = request.headers.get("X-Forwarded-Proto", proto)
        host = request.headers.get("Host")
        return upstream_request_headers(
            request.headers,
            user_id=user_id,
            request_id=request_id_var.get() or "",
            forwarded_for=forwarded_for,
            proto=proto,
            host=host,
            content_length=content_length,
            websocket=websocket,
            origin_trusted=trusted_origin(
                request.headers.get("Origin"), proto=proto, host=host, allowed=self._allowed_origins
            ),
            client_address=address_key(client_ip(request, self._trusted)),
        )

    async def forward(
        self,
        request: web.Request,
        service: str,
        *,
        user_id: str | None,
        body: bytes | None = None,
        affinity: str | None = None,
        slow: bool = False,
        long_lived: bool = False,
        max_body: int | None = None,
    ) -> web.StreamResponse:
        """Send ``request`` to ``service`` and relay its answer (``max_body``: the route's own
        body limit, an upload's, instead of ``MAX_BODY_BYTES``; ``body``: already read;
        ``affinity``: keep requests with the same value on the same replica; ``slow``: its
        timeouts do not count towards the circuit breaker; ``long_lived``: Engine.IO polling,
        which waits up to a ping interval by design, so it neither counts towards the service's
        in-flight bound nor takes a connection from the shared pool)."""
        target = origin_target(request)
        if long_lived:
            return await self._exchange(
                request, service, target, user_id, body, affinity, slow=slow, long_lived=True
            )
        limit = max_body or self._max_body
        pool = self.pools[service]
        pool.admit()
        try:
            return await self._exchange(
                request,
                service,
                target,
                user_id,
                body,
                affinity,
                slow=slow,
                long_lived=False,
                limit=limit,
            )
        finally:
            pool.release()

    async def _exchange(
        self,
        request: web.Request,
        service: str,
        target: str,
        user_id: str | None,
        body: bytes | None,
        affinity: str | None,
        *,
        slow: bool,
        long_lived: bool,
        limit: int | None = None,
    ) -> web.StreamResponse:
        data: bytes | AsyncIterator[bytes] | None = body
        limit = limit or self._max_body
        content_length = len(body) if body is not None else None
        if body is None and request.body_exists:
            if request.content_length is not None:
                if request.content_length > limit:
                    raise too_large(limit)
                content_length = request.content_length
                data = _body_chunks(request.content)
            else:
                # Chunked upload: read it (413 past the limit).
                data = await _read_bounded(request.content, limit)
                content_length = len(data)
        headers = self.forward_headers(request, user_id=user_id, content_length=content_length)
        if not long_lived:
            # The service stops a read nobody waits for any more (hintro_shared.overload); it
            # answers a moment before this gateway would give up, so its 504 is what arrives.
            headers[TIMEOUT_HEADER] = str(self._deadline_ms)
        session = self.websocket_session if long_lived else self.session
        pool = self.pools[service]
        refused: list[Upstream] = []
        while True:
            upstream = pool.pick(affinity, refused)
            url = URL(upstream.base_url + target, encoded=True)
            started = time.perf_counter()
            try:
                response = await session.request(
                    request.method, url, headers=headers, data=data, allow_redirects=False
                )
                break
            except aiohttp.ClientConnectorError as exc:
                # Refused before a byte of the request was sent: another replica may take it,
                # even a POST, since this one never saw it.
                problem = transport_problem(upstream, exc)
                refused.append(upstream)
                if len(refused) >= len(pool.replicas):
                    raise problem from None
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise transport_problem(upstream, exc, slow=slow) from None
        UPSTREAM_LATENCY.labels(service).observe(time.perf_counter() - started)
        UPSTREAM_REQUESTS.labels(service, str(response.status)).inc()
        upstream.breaker.success()
        try:
            return await self._relay(request, upstream, response)
        finally:
            response.release()

    async def _relay(
        self, request: web.Request, upstream: Upstream, response: aiohttp.ClientResponse
    ) -> web.StreamResponse:
        headers = client_response_headers(response.headers)
        size = response.content_length
        no_body = request.method == "HEAD" or response.status in _NO_BODY_STATUSES
        gzip = not no_body and should_gzip(
            accept_encoding=request.headers.get("Accept-Encoding", ""),
            content_type=response.headers.get("Content-Type", ""),
            content_encoding=response.headers.get("Content-Encoding"),
            size=size,
            min_bytes=self._gzip_min,
        )
        if no_body or (size is not None and size <= self._buffer_limit):
            try:
                payload = b"" if no_body else await response.read()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise transport_problem(upstream, exc) from None
            answer = web.Response(
                body=payload or None,
                status=response.status,
                reason=response.reason,
                headers=headers,
            )
            if gzip and len(payload) > self._gzip_min:
                answer.enable_compression(web.ContentCoding.gzip)
                answer.headers.add("Vary", "Accept-Encoding")
            return answer
        return await self._stream(request, upstream, response, headers, gzip=gzip)

    async def _stream(
        self,
        request: web.Request,
        upstream: Upstream,
        response: aiohttp.ClientResponse,
        headers: CIMultiDict[str],
        *,
        gzip: bool,
    ) -> web.StreamResponse:
        answer = web.StreamResponse(status=response.status, reason=response.reason, headers=headers)
        if gzip:
            answer.enable_compression(web.ContentCoding.gzip)
            answer.headers.add("Vary", "Accept-Encoding")
        elif response.content_length is not None:
            answer.content_length = response.content_length
        # Read the first chunk before committing to a status, so a service that breaks at once
        # still gets a clean 502.
        try:
            first = await response.content.readany()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise transport_problem(upstream, exc) from None
        await answer.prepare(request)
        chunk = first
        while chunk:
            try:
                await answer.write(chunk)
            except ConnectionError:
                return answer  # the client went away; releasing the upstream is all that's left
            try:
                chunk = await response.content.readany()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                # The status line is gone already: cut the connection so the client sees a
                # truncated body rather than a complete-looking one.
                _log.warning("upstream %s broke mid-body: %s", upstream.name, type(exc).__name__)
                if request.transport is not None:
                    request.transport.close()
                return answer
        await answer.write_eof()
        return answer
