"""The address guard and URL rules (server-side request forgery), and the sender's refusal
to connect where the resolved address is forbidden, DNS rebinding included."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from hintro_shared.refusals import RuleBroken
from hintro_webhook.domain import RetryPolicy, UrlRules, check_url
from hintro_webhook.guard import Address, allowed, forbidden_reason, parse_networks
from hintro_webhook.sender import Sender, SenderLimits, pinned_address

FORBIDDEN = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "100.100.100.200",  # a metadata endpoint in CGNAT space
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # cloud metadata (IPv6)
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_internal_addresses_are_refused(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert forbidden_reason(address) is not None
    assert not allowed(address)


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses_are_allowed(text: str) -> None:
    assert allowed(ipaddress.ip_address(text))


def test_the_allowlist_opens_only_its_networks() -> None:
    allow = parse_networks(["127.0.0.1/32"])
    assert allowed(ipaddress.ip_address("127.0.0.1"), allow)
    assert not allowed(ipaddress.ip_address("127.0.0.2"), allow)
    assert not allowed(ipaddress.ip_address("::1"), allow)


@pytest.mark.parametrize(
    ("url", "rules"),
    [
        ("http://example.com/hook", UrlRules()),
        ("ftp://example.com/hook", UrlRules(allow_http=True)),
        ("https://user:pw@example.com/hook", UrlRules()),
        ("https:///nohost", UrlRules()),
        ("https://127.0.0.1/hook", UrlRules()),
        ("https://[::1]:8443/hook", UrlRules()),
        ("https://169.254.169.254/latest/meta-data", UrlRules()),
        ("https://10.0.0.1/", UrlRules(allow_networks=parse_networks(["127.0.0.1/32"]))),
        ("https://example.com:99999/", UrlRules()),
        ("https://exa mple.com/", UrlRules()),
        ("https://example.com/" + "a" * 3000, UrlRules()),
    ],
)
def test_bad_urls_are_refused(url: str, rules: UrlRules) -> None:
    with pytest.raises(RuleBroken) as refused:
        check_url(url, rules)
    assert refused.value.loc == ("body", "url")


def test_good_urls_pass() -> None:
    assert check_url("https://example.com/hook", UrlRules()).port == 443
    target = check_url("http://127.0.0.1:9000/x", UrlRules(True, parse_networks(["127.0.0.1/32"])))
    assert (target.host, target.port) == ("127.0.0.1", 9000)


def _resolver(*answers: Sequence[str]):  # type: ignore[no-untyped-def]
    """A resolver answering each lookup with the next of ``answers`` (DNS rebinding: the
    name points outside first and inside later)."""
    queue = list(answers)
    calls: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[Address]:
        calls.append(host)
        return [ipaddress.ip_address(a) for a in queue.pop(0)]

    return resolve, calls


async def test_a_name_resolving_inside_is_refused() -> None:
    resolve, _ = _resolver(["93.184.216.34", "10.0.0.5"])
    target = check_url("https://rebind.example/hook", UrlRules())
    with pytest.raises(RuleBroken):
        await pinned_address(target, UrlRules(), resolve)


async def test_dns_rebinding_is_caught_at_delivery_and_nothing_is_connected() -> None:
    # Registered while public; at delivery time the name points to loopback.
    resolve, calls = _resolver(["93.184.216.34"], ["127.0.0.1"])
    sender = Sender(UrlRules(), SenderLimits(), resolve)
    await sender.start()
    try:
        await sender.check("https://rebind.example/hook")
        outcome = await sender.send("https://rebind.example/hook", b"{}", {})
    finally:
        await sender.close()
    assert not outcome.ok
    assert outcome.status == 0
    assert outcome.error is not None
    assert outcome.error.startswith("refused")
    assert calls == ["rebind.example", "rebind.example"]


async def test_an_unresolvable_host_is_refused_at_registration() -> None:
    async def resolve(host: str, port: int) -> Sequence[Address]:
        raise OSError("no such host")

    sender = Sender(UrlRules(), SenderLimits(), resolve)
    with pytest.raises(RuleBroken):
        await sender.check("https://nowhere.example/hook")


def test_backoff_grows_with_jitter_and_stops_after_the_window() -> None:
    policy = RetryPolicy(base_ms=1000, cap_ms=60_000, give_up_after_ms=3_600_000)
    for attempts, ceiling in [(1, 1000), (2, 2000), (3, 4000), (10, 60_000), (60, 60_000)]:
        delays = {policy.delay_ms(attempts) for _ in range(50)}
        assert all(ceiling // 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.next_attempt(0, 1, 1000) is not None
    assert policy.next_attempt(0, 1, 3_600_000) is None
