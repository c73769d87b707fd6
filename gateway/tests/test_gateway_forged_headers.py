"""Headers that identify a user or a client cannot be forged from outside, in every
configuration docs/gateway.md describes: directly exposed, and behind a trusted proxy. A client
sends every such header with made-up values; the service must receive only the gateway's own
(docs/security.md, "Forged headers")."""

from __future__ import annotations

import pytest

from gateway.tests.conftest import Harness, HarnessFactory

pytestmark = pytest.mark.integration

FORGED = {
    "X-User-Id": "admin",
    "X-Origin-Trusted": "1",
    "X-Client-Address": "10.9.9.9",
    "X-Timeout-Ms": "1",
    "X-Request-Id": "bad id with spaces",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "Origin": "https://evil.example",
}


def _only(harness: Harness, name: str) -> list[str]:
    return harness.services["board"].seen[-1].headers.get(name.lower(), [])


@pytest.mark.parametrize("behind_proxy", [False, True], ids=["exposed", "behind-trusted-proxy"])
async def test_identity_headers_from_a_client_never_reach_a_service(
    make_gateway: HarnessFactory, behind_proxy: bool
) -> None:
    settings = {"trusted_proxies": "127.0.0.1/32"} if behind_proxy else {}
    harness = await make_gateway(**settings)
    # Behind the proxy, the client's own X-Forwarded-For arrives with the proxy's entry added
    # (here the client claims 6.6.6.6, the proxy saw 203.0.113.5).
    forwarded = {"X-Forwarded-For": "6.6.6.6, 203.0.113.5"}
    response = await harness.client.get(
        "/api/boards", headers={**harness.auth("real-user"), **FORGED, **forwarded}
    )
    assert response.status == 200
    assert _only(harness, "X-User-Id") == ["real-user"]
    assert _only(harness, "X-Origin-Trusted") == []
    request_id = _only(harness, "X-Request-Id")
    assert request_id
    assert request_id != [FORGED["X-Request-Id"]]
    assert response.headers["X-Request-Id"] == request_id[0]
    assert _only(harness, "X-Timeout-Ms") == [
        str(int(harness.settings.upstream_timeout * 1000) - 250)
    ]
    client = "203.0.113.5" if behind_proxy else "127.0.0.1"
    # The client address is the one the gateway worked out: never the client's claim.
    assert _only(harness, "X-Client-Address") == [client]
    assert _only(harness, "X-Forwarded-For")[0].split(",")[-1].strip() == "127.0.0.1"
    if not behind_proxy:
        assert _only(harness, "X-Forwarded-For") == ["127.0.0.1"]
        assert _only(harness, "X-Forwarded-Host") != ["evil.example"]
        assert _only(harness, "X-Forwarded-Proto") == ["http"]


async def test_no_token_means_no_user_whatever_the_headers_say(gw: Harness) -> None:
    response = await gw.client.get("/api/boards", headers=FORGED)
    assert response.status == 401
    assert gw.services["board"].seen == []
    # A public route is forwarded without any user id at all.
    await gw.client.post("/api/auth/refresh", json={"refreshToken": "r"}, headers=FORGED)
    seen = gw.services["auth"].seen[-1]
    assert seen.header("X-User-Id") is None
    assert seen.header("X-Origin-Trusted") is None
    assert seen.header("X-Client-Address") == "127.0.0.1"
