"""The gateway serving a built web app from a real directory: client routes, cache headers,
precompressed files, security headers, and the paths that must never become the app."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
from pathlib import Path

import aiohttp
import pytest

from gateway.tests.conftest import Harness, HarnessFactory
from hintro_gateway.static import choose_encoding, content_security_policy

pytestmark = pytest.mark.integration

INDEX = (
    b'<!doctype html><html><head><script type="module" src="/assets/index-abc123.js">'
    b'</script></head><body><div id="root"></div></body></html>'
)
SCRIPT = b"console.log('hintro');\n" * 200  # compressible and over the 1 KiB threshold
STYLE = b"body{margin:0}\n"
BROTLI_STANDIN = b"brotli bytes of the script"  # what the build wrote; served as is


def build_dist(root: Path) -> Path:
    """What `vite build` and the compression step leave behind."""
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (dist / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT))
    (dist / "assets" / "index-abc123.js.br").write_bytes(BROTLI_STANDIN)
    (dist / "assets" / "index-def456.css").write_bytes(STYLE)
    (dist / "favicon.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    (dist / ".env").write_bytes(b"SECRET=1")
    return dist


@pytest.fixture
async def site(make_gateway: HarnessFactory, tmp_path: Path) -> Harness:
    # A file beside the dist directory that traversal attempts aim at.
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    return await make_gateway(web_dist_dir=str(build_dist(tmp_path)))


async def get(harness: Harness, path: str, **headers: str) -> aiohttp.ClientResponse:
    response = await harness.client.get(path, headers=headers, auto_decompress=False)
    await response.read()
    return response


async def test_root_and_client_routes_are_the_app_revalidated_each_time(site: Harness) -> None:
    for path in ("/", "/boards", "/boards/64f0c0ffee/cards/abc", "/login?next=/boards"):
        response = await get(site, path, **{"Accept-Encoding": "identity"})
        assert response.status == 200, path
        assert await response.read() == INDEX, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"]


async def test_hashed_assets_are_immutable_with_their_type(site: Harness) -> None:
    script = await get(site, "/assets/index-abc123.js", **{"Accept-Encoding": "identity"})
    assert script.status == 200
    assert await script.read() == SCRIPT
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in script.headers
    assert script.headers["Vary"] == "Accept-Encoding"
    assert script.headers["ETag"]
    assert script.headers["Last-Modified"]
    style = await get(site, "/assets/index-def456.css")
    assert style.headers["Content-Type"] == "text/css; charset=utf-8"
    assert await style.read() == STYLE
    # A file outside /assets/ is not hashed: revalidated like index.html.
    icon = await get(site, "/favicon.svg")
    assert icon.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert icon.headers["Cache-Control"] == "no-cache"


async def test_precompressed_siblings_follow_accept_encoding(site: Harness) -> None:
    path = "/assets/index-abc123.js"
    brotli = await get(site, path, **{"Accept-Encoding": "gzip, deflate, br"})
    assert brotli.headers["Content-Encoding"] == "br"
    assert await brotli.read() == BROTLI_STANDIN
    assert brotli.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert brotli.headers["Vary"] == "Accept-Encoding"
    gzipped = await get(site, path, **{"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await gzipped.read()) == SCRIPT
    refused = await get(site, path, **{"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert await refused.read() == SCRIPT
    # Each encoding is its own representation for caches.
    assert len({brotli.headers["ETag"], gzipped.headers["ETag"], refused.headers["ETag"]}) == 3


def test_encoding_choice_honours_q_values() -> None:
    available = {"identity": b"", "gzip": b"", "br": b""}
    assert choose_encoding("gzip, br", available) == "br"
    assert choose_encoding("br;q=0, gzip", available) == "gzip"
    assert choose_encoding("*", available) == "br"
    assert choose_encoding("*, br;q=0", available) == "gzip"
    assert choose_encoding("", available) == "identity"
    assert choose_encoding("br", {"identity": b""}) == "identity"


async def test_security_headers_and_a_policy_without_inline_scripts(site: Harness) -> None:
    for path in ("/", "/assets/index-abc123.js"):
        response = await get(site, path)
        policy = response.headers["Content-Security-Policy"]
        directives = {
            part.split()[0]: part.split()[1:] for part in policy.split("; ") if part.strip()
        }
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        host = f"127.0.0.1:{site.client.port}"
        assert directives["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_a_forged_host_does_not_reach_the_policy() -> None:
    policy = content_security_policy("evil.example; script-src *")
    assert "evil" not in policy
    assert "connect-src 'self';" in policy


async def test_api_socketio_and_operational_paths_never_become_the_app(site: Harness) -> None:
    for path in ("/api/nothing-here", "/api", "/api/boards/b1/unknown", "/socket.io"):
        response = await get(site, path)
        assert response.status == 404, path
        assert response.headers["Content-Type"].startswith("application/problem+json"), path
    for path in ("/healthz", "/metrics"):
        response = await get(site, path)
        assert response.status == 200
        assert await response.read() != INDEX
    # A real route keeps its behaviour: proxied to its service, 405 for a wrong method.
    boards = await site.client.get("/api/boards", headers=site.auth())
    assert (await boards.json())["service"] == "board"
    wrong = await site.client.put("/api/boards", headers=site.auth())
    assert wrong.status == 405
    # Other methods on the app's paths are not served.
    posted = await site.client.post("/boards")
    assert posted.status == 404


async def test_app_requests_are_counted_under_one_route_label(site: Harness) -> None:
    await get(site, "/boards/b-metrics-1")
    await get(site, "/assets/index-abc123.js")
    await get(site, "/assets/gone-metrics.js")
    metrics = await (await get(site, "/metrics")).text()
    served = re.findall(
        r'hintro_http_requests_total\{method="GET",route="web-app",service="gateway",'
        r'status="200"\} (\d+)',
        metrics,
    )
    assert served
    assert int(float(served[0])) >= 2
    assert 'route="unmatched",service="gateway",status="404"' in metrics
    assert "b-metrics-1" not in metrics


async def test_missing_files_are_404_not_the_app(site: Harness) -> None:
    for path in ("/assets/index-gone.js", "/assets/anything", "/robots.txt"):
        response = await get(site, path)
        assert response.status == 404, path
        assert response.headers["Content-Type"].startswith("application/problem+json")


async def test_no_path_reaches_outside_the_build_or_its_hidden_files(site: Harness) -> None:
    port = site.client.port
    raw_paths = (
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/.env",
        "/assets/",
        "/assets",
    )
    # Sent byte for byte (a client library would normalise the dots away).
    for raw in raw_paths:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {raw} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        assert b"top secret" not in answer, raw
        assert b"SECRET=1" not in answer, raw
        # Never a directory listing: either the app's index or a 404.
        status = answer.split(b" ", 2)[1]
        assert status in (b"200", b"404"), raw
        if status == b"200":
            assert answer.endswith(INDEX), raw


async def test_head_and_conditional_requests(site: Harness) -> None:
    head = await site.client.head("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert head.status == 200
    assert await head.read() == b""
    assert head.headers["Content-Encoding"] == "gzip"
    assert int(head.headers["Content-Length"]) > 0
    head_index = await site.client.head("/boards/b1")
    assert head_index.status == 200
    first = await get(site, "/", **{"Accept-Encoding": "identity"})
    again = await get(
        site, "/", **{"Accept-Encoding": "identity", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["Cache-Control"] == "no-cache"


async def test_a_rebuild_is_served_without_a_restart(
    make_gateway: HarnessFactory, tmp_path: Path
) -> None:
    dist = build_dist(tmp_path)
    harness = await make_gateway(web_dist_dir=str(dist))
    assert await (await get(harness, "/")).read() == INDEX
    (dist / "assets" / "index-new999.js").write_bytes(b"console.log(2)")
    (dist / "index.html").write_bytes(b"<!doctype html><title>v2</title>")
    stat = (dist / "index.html").stat()
    os.utime(dist / "index.html", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert await (await get(harness, "/boards")).read() == b"<!doctype html><title>v2</title>"
    assert (await get(harness, "/assets/index-new999.js")).status == 200


async def test_without_a_build_the_root_is_a_404(make_gateway: HarnessFactory) -> None:
    harness = await make_gateway()
    response = await get(harness, "/")
    assert response.status == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
