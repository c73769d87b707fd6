"""Helpers of the board and task e2e tests (``test_e2e_boards_*.py``): real users registered
and logged in through the gateway, and boards, members, lists and tasks made through it.

Every call goes through the gateway (the ``http`` fixture's session); nothing here talks to a
service directly or touches a database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDictProxy

from hintro_testkit.infra import wait_for

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery"
_UNSET: Any = object()


@dataclass(frozen=True)
class User:
    """A registered, logged-in user."""

    id: str
    email: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """The ``Authorization`` header of this user."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Reply:
    """A response, read whole."""

    status: int
    headers: CIMultiDictProxy[str]
    content_type: str
    text: str

    @property
    def body(self) -> Any:
        """The JSON body (``None`` when empty)."""
        return json.loads(self.text) if self.text else None

    def assert_problem(self, status: int) -> dict[str, Any]:
        """Assert a problem+json answer with ``status``; returns the problem."""
        assert self.status == status, f"expected {status}, got {self.status}: {self.text}"
        assert self.content_type == PROBLEM, self.content_type
        problem: dict[str, Any] = self.body
        assert problem["status"] == status
        assert set(problem) >= {"type", "title", "status", "detail"}
        assert "Traceback" not in self.text
        return problem


async def call(
    http: aiohttp.ClientSession,
    user: User | None,
    method: str,
    path: str,
    *,
    json_body: Any = _UNSET,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request through the gateway as ``user`` (anonymous when ``None``)."""
    all_headers = {**(user.auth if user is not None else {}), **(headers or {})}
    kwargs: dict[str, Any] = {"headers": all_headers}
    if json_body is not _UNSET:
        kwargs["json"] = json_body
    if data is not None:
        kwargs["data"] = data
    async with http.request(method, path.lstrip("/"), **kwargs) as response:
        text = await response.text()
        return Reply(response.status, response.headers, response.content_type, text)


async def ok(
    http: aiohttp.ClientSession,
    user: User | None,
    method: str,
    path: str,
    status: int = 200,
    **kwargs: Any,
) -> Any:
    """``call`` that asserts ``status`` and returns the JSON body."""
    reply = await call(http, user, method, path, **kwargs)
    assert reply.status == status, f"{method} {path}: {reply.status} {reply.text}"
    return reply.body


async def register(http: aiohttp.ClientSession, name: str) -> User:
    """A new user, registered and logged in through the gateway."""
    email = f"e2e-boards-{uuid.uuid4().hex[:12]}@hintro.dev"
    account = await ok(
        http,
        None,
        "POST",
        "api/auth/register",
        201,
        json_body={"email": email, "password": PASSWORD, "name": name},
    )
    pair = await ok(
        http, None, "POST", "api/auth/login", json_body={"email": email, "password": PASSWORD}
    )
    return User(account["id"], email, name, pair["accessToken"])


async def create_board(http: aiohttp.ClientSession, owner: User, title: str = "Board") -> Any:
    """A new board owned by ``owner``."""
    return await ok(http, owner, "POST", "api/boards", 201, json_body={"title": title})


async def add_member(
    http: aiohttp.ClientSession, owner: User, board_id: str, user: User, role: str = "editor"
) -> None:
    """Add ``user`` to the board. The board service learns of users from ``user.registered``,
    a moment after registration: until then the add is a 404, so a fresh user is waited for."""

    async def answered() -> Reply | None:
        reply = await call(
            http,
            owner,
            "POST",
            f"api/boards/{board_id}/members",
            json_body={"userId": user.id, "role": role},
        )
        return None if reply.status == 404 else reply

    reply = await wait_for(answered, within=10.0, what=f"{user.name} known to the board service")
    assert reply.status == 201, reply.text


async def create_list(
    http: aiohttp.ClientSession, user: User, board_id: str, title: str = "List", **anchors: str
) -> Any:
    """A new list (``afterId=``/``beforeId=`` place it; the end otherwise)."""
    return await ok(
        http,
        user,
        "POST",
        f"api/boards/{board_id}/lists",
        201,
        json_body={"title": title, **anchors},
    )


async def create_label(
    http: aiohttp.ClientSession, user: User, board_id: str, name: str, color: str
) -> Any:
    """A new label on the board."""
    return await ok(
        http,
        user,
        "POST",
        f"api/boards/{board_id}/labels",
        201,
        json_body={"name": name, "color": color},
    )


async def create_task(
    http: aiohttp.ClientSession,
    user: User,
    board_id: str,
    list_id: str,
    title: str = "Task",
    **fields: Any,
) -> Any:
    """A new task in ``list_id`` (extra body fields as keyword arguments, camelCase)."""
    return await ok(
        http,
        user,
        "POST",
        f"api/boards/{board_id}/tasks",
        201,
        json_body={"listId": list_id, "title": title, **fields},
    )


async def all_tasks(
    http: aiohttp.ClientSession, user: User, board_id: str, *, limit: int = 100
) -> list[dict[str, Any]]:
    """Every task of the board, following ``next`` page by page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = f"?limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = await ok(http, user, "GET", f"api/boards/{board_id}/tasks{query}")
        items.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            return items


_CASTS: dict[str, dict[str, User]] = {}


async def cast(http: aiohttp.ClientSession, gateway_url: str) -> dict[str, User]:
    """Five users shared by the board e2e tests of one stack (registered once: login and
    register are rate-limited per IP): ``owner``, ``editor``, ``viewer``, ``outsider`` and
    ``target`` (a second editor that member-management requests act on)."""
    if gateway_url not in _CASTS:
        names = ("owner", "editor", "viewer", "outsider", "target")
        users = [await register(http, name) for name in names]
        _CASTS[gateway_url] = dict(zip(names, users, strict=True))
    return _CASTS[gateway_url]
