"""Which addresses a webhook may reach (server-side request forgery defence). No I/O.

A webhook URL is chosen by a user, so the service must not become a way into the network it
runs in. Refused: anything that is not a global unicast address, i.e. private (RFC 1918, unique
local), loopback, link-local (the cloud metadata endpoints 169.254.169.254 and fd00:ec2::254
are in these), CGNAT shared space (100.64.0.0/10, where 100.100.100.200 is a metadata
endpoint), multicast, unspecified, reserved and documentation ranges; an IPv4 address mapped or
embedded in IPv6 is judged as the IPv4 address. Only an explicit allowlist of networks
(``WEBHOOK_ALLOW_CIDRS``, refused in production) lets a development or test stack deliver to
127.0.0.1.

The check is applied to the address actually connected to (:mod:`hintro_webhook.sender`
resolves, filters and connects to the pinned address), so DNS rebinding cannot slip a private
address in between the check and the connection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The allowlist's networks (``ValueError`` on a malformed one)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _unwrapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def forbidden_reason(address: Address) -> str | None:
    """Why a webhook may not connect to ``address`` (ignoring any allowlist), or ``None``."""
    ip = _unwrapped(address)
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (CGNAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not global"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def allowed(address: Address, allow: Sequence[Network] = ()) -> bool:
    """Whether a webhook may connect to ``address``: allowlisted, or global unicast."""
    if any(address.version == net.version and address in net for net in allow):
        return True
    return forbidden_reason(address) is None


def literal_address(host: str) -> Address | None:
    """``host`` as an IP address when it is one (``[::1]`` brackets allowed), else ``None``."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
