"""Small pure pieces of the gateway: client addresses, gzip negotiation, rate policies."""

from __future__ import annotations

import ipaddress

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from hintro_gateway.clientip import address_key, client_ip
from hintro_gateway.config import RatePolicy
from hintro_gateway.headers import is_json
from hintro_gateway.routing import resolve
from hintro_shared.http import accepts_gzip

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"),)


def _request(peer: str, forwarded_for: str | None) -> web.Request:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    request = make_mocked_request("GET", "/", headers=headers)
    request._transport_peername = (peer, 1234)
    return request


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.0.0.2", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),  # right-most untrusted hop
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(
    peer: str, forwarded_for: str | None, expected: str
) -> None:
    request = _request(peer, forwarded_for)
    assert client_ip(request, TRUSTED) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("*", True),
        ("identity", False),
        ("", False),
    ],
)
def test_gzip_negotiation(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_json_media_types() -> None:
    assert is_json("application/json; charset=utf-8")
    assert is_json("application/problem+json")
    assert not is_json("text/html")


def test_rate_policy_parsing_and_header_item() -> None:
    assert RatePolicy.parse("default", "600/60").header_item == '"default";q=600;w=60'
    for bad in ("600", "0/60", "10/0", "a/b"):
        with pytest.raises(ValueError, match="rate limit"):
            RatePolicy.parse("x", bad)


def _service(method: str, path: str) -> str | None:
    route = resolve(method, path)
    return route.service if route is not None else None


def test_routing_table_sends_nested_board_paths_to_their_own_services() -> None:
    assert _service("GET", "/api/boards/b1") == "board"
    assert _service("GET", "/api/boards/b1/tasks") == "task"
    assert _service("GET", "/api/boards/b1/activity") == "activity"
    assert _service("GET", "/api/boards/b1/lists") == "board"
    assert _service("GET", "/api/boards/b1/unknown") is None
    assert _service("PUT", "/api/boards") is None


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", "unknown"),
    ],
)
def test_per_address_limits_key_ipv6_by_its_64(address: str, key: str) -> None:
    assert address_key(address) == key
