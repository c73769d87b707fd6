"""The built web app (``web/dist``), served by the gateway at ``/``.

The files are read into memory when the gateway starts (a build is a few hundred KB), so a
request can only ever name a file the build produced: there is no path to resolve on disk, hence
no traversal and no directory listing. The table is read again when ``index.html`` changes, so a
rebuild under a running ``make run`` is picked up.

- ``/assets/*`` are Vite's content-hashed files: cached for a year, ``immutable``. A missing
  asset is a 404 (never ``index.html``, whose HTML a browser would try to run as a script).
- Every other GET or HEAD that names no route and no file, and whose last segment has no dot,
  is a client route: ``index.html`` with ``no-cache`` (revalidated each time, so a new
  deployment is seen at once). ``/api/*``, ``/socket.io/*`` and the operational paths never
  fall back: they keep their problem+json 404.
- A ``.br`` or ``.gz`` sibling written by the build is sent to a client that accepts it;
  without one, compressible files are gzipped once, at load.
- Every answer carries the security headers of :func:`security_headers`.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import mimetypes
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from aiohttp import web
from aiohttp.web_urldispatcher import MatchInfoError

from hintro_shared.metrics import ROUTE_LABEL

_log = logging.getLogger(__name__)

ASSETS_PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Paths that belong to the API and the platform: an unknown one is a 404, never the app.
RESERVED_PREFIXES = ("/api/", "/socket.io/")
RESERVED_PATHS = frozenset({"/api", "/socket.io", "/healthz", "/readyz", "/metrics"})
# The order the gateway prefers when a client accepts several (brotli is smaller).
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_COMPRESSIBLE = re.compile(
    r"^(text/|application/(javascript|json|manifest\+json|xml)|image/svg\+xml)"
)
_GZIP_MIN_BYTES = 1024
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}
# A host name or address with an optional port: what may go into the policy's connect-src.
_VALID_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(host: str | None) -> str:
    """The policy of every file the gateway serves.

    Scripts only from this origin (no ``'unsafe-inline'``, no ``eval``): Vite emits external
    module scripts only. Styles likewise: React and dnd-kit set styles through the CSSOM
    (``element.style``), which CSP does not govern, so neither needs ``'unsafe-inline'``.
    ``connect-src`` names the websocket origins of this host besides ``'self'`` because older
    browsers do not let ``'self'`` match ``ws:``/``wss:`` (CSP 3 does).
    """
    connect = ["'self'"]
    if host and _VALID_HOST.match(host):
        connect += [f"ws://{host}", f"wss://{host}"]
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(host: str | None) -> dict[str, str]:
    """The headers that keep the app from being framed, sniffed or leaking its URLs."""
    return {
        "Content-Security-Policy": content_security_policy(host),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


@dataclass(frozen=True)
class StaticFile:
    """One file of the build and its encodings (``identity`` always)."""

    content_type: str
    cache_control: str
    last_modified: str
    bodies: Mapping[str, bytes]
    etags: Mapping[str, str] = field(default_factory=dict)


def _content_type(path: Path) -> str:
    guessed = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    media = guessed or "application/octet-stream"
    if media.startswith("text/") or media in ("application/json", "image/svg+xml"):
        return f"{media}; charset=utf-8"
    return media


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _load_file(path: Path, relative: str) -> StaticFile:
    body = path.read_bytes()
    content_type = _content_type(path)
    bodies = {"identity": body}
    for coding, suffix in _ENCODINGS:
        sibling = path.with_name(path.name + suffix)
        if sibling.is_file() and not sibling.is_symlink():
            bodies[coding] = sibling.read_bytes()
    if "gzip" not in bodies and len(body) >= _GZIP_MIN_BYTES and _COMPRESSIBLE.match(content_type):
        bodies["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
    immutable = relative.startswith(ASSETS_PREFIX)
    return StaticFile(
        content_type=content_type,
        cache_control=IMMUTABLE if immutable else REVALIDATE,
        last_modified=formatdate(path.stat().st_mtime, usegmt=True),
        bodies=bodies,
        etags={coding: _etag(data) for coding, data in bodies.items()},
    )


def load_dist(root: Path) -> dict[str, StaticFile]:
    """Every regular file under ``root`` by its URL path (``/assets/index-1a2b.js``); the
    ``.br``/``.gz`` siblings of a file are its encodings, not files of their own. Symbolic links
    and dot-files are left out."""
    files: dict[str, StaticFile] = {}
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        base = Path(directory)
        names = set(filenames)
        for name in filenames:
            path = base / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            stem, suffix = os.path.splitext(name)
            if suffix in (".br", ".gz") and stem in names:
                continue
            relative = "/" + path.relative_to(root).as_posix()
            files[relative] = _load_file(path, relative)
    return files


def choose_encoding(accept_encoding: str, available: Mapping[str, bytes]) -> str:
    """The encoding to send: the first of brotli, gzip that the client accepts with q > 0 and
    the build has, else ``identity``."""
    accepted: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding.strip():
            accepted[coding.strip()] = q
    for coding, _ in _ENCODINGS:
        q = accepted.get(coding, accepted.get("*", 0.0))
        if q > 0 and coding in available:
            return coding
    return "identity"


def is_reserved(path: str) -> bool:
    """True for the API's and the platform's own paths, which never fall back to the app."""
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES)


def _is_client_route(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return not path.startswith(ASSETS_PREFIX) and "." not in last


class WebApp:
    """The built app in memory, reloaded when ``index.html`` changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index = root / "index.html"
        self._stamp: tuple[int, int] | None = None
        self._files: dict[str, StaticFile] = {}
        self._lock = asyncio.Lock()

    def _index_stamp(self) -> tuple[int, int] | None:
        try:
            st = self._index.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    async def files(self) -> dict[str, StaticFile]:
        """The current table; one stat of ``index.html`` per call decides whether to reload."""
        stamp = self._index_stamp()
        if stamp != self._stamp:
            async with self._lock:
                if stamp != self._stamp:
                    loop = asyncio.get_running_loop()
                    self._files = await loop.run_in_executor(None, load_dist, self.root)
                    self._stamp = stamp
                    _log.info("web app loaded", extra={"dir": str(self.root)})
        return self._files

    async def lookup(self, path: str) -> StaticFile | None:
        """The file for a request path: itself, or ``index.html`` for a client route."""
        files = await self.files()
        found = files.get(path)
        if found is None and path.endswith("/"):
            found = files.get(path + "index.html")
        if found is None and _is_client_route(path):
            found = files.get("/index.html")
        return found


def respond(request: web.Request, found: StaticFile) -> web.Response:
    """The file in the encoding the client prefers, or 304 when its copy is current."""
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""), found.bodies)
    etag = found.etags[encoding]
    headers = {
        "Cache-Control": found.cache_control,
        "ETag": etag,
        "Last-Modified": found.last_modified,
        **security_headers(request.host),
    }
    if len(found.bodies) > 1:
        headers["Vary"] = "Accept-Encoding"
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and (
        if_none_match.strip() == "*"
        or etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    ):
        return web.Response(status=304, headers=headers)
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    return web.Response(
        body=found.bodies[encoding], headers={**headers, "Content-Type": found.content_type}
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def web_app_middleware(
    web_app: WebApp,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Serve the app for GET and HEAD requests that no route matched (only those: a route's
    405 and every other answer stay as they are)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        match_info = request.match_info
        if (
            request.method in ("GET", "HEAD")
            and isinstance(match_info, MatchInfoError)
            and match_info.http_exception.status == 404
            and not is_reserved(request.path)
        ):
            found = await web_app.lookup(request.path)
            if found is not None:
                # One metrics label for every file of the app, whatever the path.
                request[ROUTE_LABEL] = "web-app"
                return respond(request, found)
        return await handler(request)

    return middleware
