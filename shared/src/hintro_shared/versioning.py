"""Optimistic concurrency over HTTP: ``ETag`` carries a resource's version and ``If-Match``
makes a write conditional on it (412 when stale)."""

from __future__ import annotations

from aiohttp import web

from hintro_shared.problems import Problem, refusal_problem
from hintro_shared.refusals import PreconditionFailed


def etag(version: int) -> str:
    """The strong ETag for a version number."""
    return f'"{version}"'


def expected_version(request: web.Request) -> int | None:
    """The version ``If-Match`` asks for, ``None`` when absent or ``*``; 412 if unparseable."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise stale_version()
    return int(value)


def stale_version() -> Problem:
    """412: the client's copy is out of date."""
    return refusal_problem(PreconditionFailed())
