"""The client's address, for per-IP rate limits and ``X-Forwarded-For``.

``X-Forwarded-For`` is written by whoever sent the request, so it is believed only when the
peer is a configured trusted proxy; then the list is walked from the right (the entries our own
proxies appended) to the first address that is not a trusted proxy.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from aiohttp import web

from hintro_gateway.config import IPNetwork


def is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    """Whether ``address`` lies in one of the ``trusted`` networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


# Parsing an address costs more than the rest of a request's limiter key work, and the same
# few addresses (the load balancers', busy clients') come back on every request: a bounded
# memo of a pure function of the string.
@functools.lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """The key per-address rate limits use for ``address``: an IPv4 address itself, an IPv6
    address's /64 network (one subscriber usually holds a whole /64 and can rotate through it
    freely), the IPv4 address inside an IPv4-mapped IPv6 one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def peer_address(request: web.Request) -> str:
    """The TCP peer's address (``unknown`` for odd transports)."""
    return request.remote or "unknown"


def client_ip(request: web.Request, trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the peer, or the right-most untrusted ``X-Forwarded-For`` entry
    when the peer is a trusted proxy."""
    peer = peer_address(request)
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # Garbage from the client: fall back to the last address we can vouch for.
                return peer
    return hops[0] if hops else peer
