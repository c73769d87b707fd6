"""The OWASP API Security Top 10 (2023) as tests, end to end through the gateway
(docs/security.md maps each item to what Hintro does and names its tests).

The route-wide checks are generated from the gateway's routing table (``ROUTES``), so a route
added later is covered without touching this file: another user's objects are 404 through
every route, exactly as ids that do not exist (API1); every private route refuses an anonymous
caller (API2); a viewer's write is refused on every write route and changes nothing (API5); no
response carries a password hash or the e-mail of someone the caller shares no board with
(API3); bodies, page sizes and id lists are bounded (API4); every answer carries the security
headers (API8); every route is documented (API9).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from hintro_gateway.routing import ROUTES, Route
from tests.e2e.boards_helpers import Reply, User, call, cast, register
from tests.e2e.test_e2e_boards_roles import _scene, _state

REPO = Path(__file__).resolve().parents[2]
PRIVATE = [route for route in ROUTES if not route.public]
_PARAM = re.compile(r"\{(\w+)\}")
# Which object of the scene a path parameter names; a parameter not listed here (a route added
# later) gets an id of the scene's board when it ends in "boardId", else a fresh random id.
SCENE_PARAMS = {"boardId": "board", "listId": "list", "taskId": "taskA", "userId": "target"}
# A valid body for the write routes known today (so a refusal is the authorization's, not the
# validation's); any other write route is sent {} and must still be refused.
BODIES: dict[str, Any] = {
    "PATCH /api/boards/{boardId}": {"title": "Taken over"},
    "POST /api/boards/{boardId}/members": {"userId": "{outsider}", "role": "viewer"},
    "PATCH /api/boards/{boardId}/members/{userId}": {"role": "viewer"},
    "POST /api/boards/{boardId}/transfer": {"userId": "{target}"},
    "POST /api/boards/{boardId}/lists": {"title": "Injected"},
    "PATCH /api/lists/{listId}": {"title": "Renamed"},
    "POST /api/boards/{boardId}/tasks": {"listId": "{list}", "title": "Injected"},
    "PATCH /api/tasks/{taskId}": {"title": "Renamed"},
    "POST /api/tasks/{taskId}/move": {"listId": "{list2}"},
    "POST /api/boards/{boardId}/webhooks": {
        "url": "https://hooks.example.com/in",
        "eventTypes": ["task.created"],
    },
}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _label(route: Route) -> str:
    return f"{route.method} {route.pattern}"


def _path(route: Route, ids: dict[str, str], *, real: bool = True) -> str:
    """The route's path naming the scene's objects (``real``) or ids that exist nowhere."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if real and name in SCENE_PARAMS:
            return ids[SCENE_PARAMS[name]]
        return uuid.uuid4().hex

    return _PARAM.sub(one, route.pattern).lstrip("/")


def _body(route: Route, ids: dict[str, str]) -> dict[str, Any]:
    """The call's body keyword: the known valid body, ``{}`` for other POSTs and PATCHes."""
    body = BODIES.get(_label(route))
    if body is not None:
        return {"json_body": _fill(body, ids)}
    return {"json_body": {}} if route.method in ("POST", "PATCH") else {}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scene(stack: Stack) -> tuple[dict[str, User], dict[str, str]]:
    async with aiohttp.ClientSession(base_url=f"{stack.gateway_url}/") as http:
        users = await cast(http, stack.gateway_url)
        return users, await _scene(http, users)


# --- API1: broken object level authorization -----------------------------------------------


@pytest.mark.parametrize(
    "route",
    [pytest.param(r, id=_label(r)) for r in PRIVATE if _PARAM.search(r.pattern)],
)
async def test_api1_another_users_objects_are_404_like_ids_that_do_not_exist(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]], route: Route
) -> None:
    users, ids = scene
    outsider = users["outsider"]
    before = await _state(http, users["owner"], ids)
    body = _body(route, {**ids, "me": outsider.id})
    real = await call(http, outsider, route.method, _path(route, ids), **body)
    unknown = await call(http, outsider, route.method, _path(route, ids, real=False), **body)
    assert real.status == unknown.status, (real.text, unknown.text)
    assert real.status >= 400
    assert real.status != 403  # a 403 would say the object exists
    real.assert_problem(real.status)
    assert await _state(http, users["owner"], ids) == before


# --- API2: broken authentication -------------------------------------------------------------


@pytest.mark.parametrize("route", [pytest.param(r, id=_label(r)) for r in PRIVATE])
async def test_api2_every_private_route_refuses_an_anonymous_or_forged_caller(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]], route: Route
) -> None:
    users, ids = scene
    path = _path(route, ids)
    anonymous = await call(http, None, route.method, path, headers={"X-User-Id": users["owner"].id})
    anonymous.assert_problem(401)
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = users["owner"].token.rsplit(".", 1)[0] + ".c2lnbmF0dXJl"  # the owner's claims
    reply = await call(
        http, None, route.method, path, headers={"Authorization": f"Bearer {forged}"}
    )
    reply.assert_problem(401)


# --- API3: broken object property level authorization ----------------------------------------


async def test_api3_no_answer_leaks_a_password_hash_or_a_strangers_email(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]]
) -> None:
    users, ids = scene
    members = {users[name].email for name in ("owner", "editor", "viewer", "target")}
    reads = [route for route in PRIVATE if route.method == "GET"]
    # The stack's shared outsider may be a member of another test's board; a stranger
    # registered here shares no board with anyone.
    stranger = await register(http, "stranger")
    for name in ("owner", "viewer", "stranger"):
        caller = stranger if name == "stranger" else users[name]
        allowed = {caller.email} | (members if name != "stranger" else set())
        for route in reads:
            reply = await call(http, caller, "GET", _path(route, {**ids, "me": caller.id}))
            text = reply.text
            for secret in ("passwordHash", "$argon2", "password_hash", '"password"'):
                assert secret not in text, (name, _label(route))
            leaked = set(_EMAIL.findall(text)) - allowed
            assert not leaked, (name, _label(route), leaked)
        me = await call(http, caller, "GET", "api/auth/me")
        assert set(me.body) == {"id", "email", "name", "createdAt"}


# --- API4: unrestricted resource consumption -------------------------------------------------


async def test_api4_bodies_pages_and_id_lists_are_bounded(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]]
) -> None:
    users, ids = scene
    owner = users["owner"]
    huge = await call(
        http,
        owner,
        "POST",
        "api/boards",
        data=b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    huge.assert_problem(413)
    for path in (
        "api/boards?limit=101",
        f"api/boards/{ids['board']}/tasks?limit=101",
        f"api/boards/{ids['board']}/activity?limit=101",
        "api/users?ids=" + ",".join(uuid.uuid4().hex for _ in range(101)),
    ):
        (await call(http, owner, "GET", path)).assert_problem(422)
    unknown = await call(http, owner, "GET", "api/boards?everything=true")
    unknown.assert_problem(422)


# --- API5: broken function level authorization -----------------------------------------------

# Routes under a board that write only the caller's own record, never the board: any member,
# viewers included, may use them (docs/api.md, "Notifications": watching).
PERSONAL = {
    "PUT /api/tasks/{taskId}/watch",
    "DELETE /api/tasks/{taskId}/watch",
    "PUT /api/boards/{boardId}/watch",
    "DELETE /api/boards/{boardId}/watch",
}


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=_label(r))
        for r in PRIVATE
        if r.method != "GET"
        and _label(r) not in PERSONAL
        and any(p in r.pattern for p in ("{boardId}", "{listId}", "{taskId}"))
    ],
)
async def test_api5_a_viewer_cannot_write_through_any_write_route(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]], route: Route
) -> None:
    users, ids = scene
    viewer = users["viewer"]
    before = await _state(http, users["owner"], ids)
    body = _body(route, {**ids, "me": viewer.id})
    reply = await call(http, viewer, route.method, _path(route, ids), **body)
    if _label(route) in BODIES or route.method == "DELETE" or route.method == "PUT":
        reply.assert_problem(403)
    else:  # a route added later, sent {}: refused one way or another
        assert reply.status >= 400, reply.text
    assert await _state(http, users["owner"], ids) == before


# --- API8: security misconfiguration ---------------------------------------------------------


async def test_api8_every_answer_carries_the_security_headers(
    http: aiohttp.ClientSession, scene: tuple[dict[str, User], dict[str, str]]
) -> None:
    users, ids = scene
    for user, path in (
        (users["owner"], f"api/boards/{ids['board']}"),
        (users["outsider"], f"api/boards/{ids['board']}"),  # a problem
        (None, "api/boards"),  # refused at the door
        (None, "healthz"),
    ):
        reply: Reply = await call(http, user, "GET", path)
        assert reply.headers["X-Content-Type-Options"] == "nosniff", path
        assert reply.headers["X-Frame-Options"] == "DENY", path
    # No origin is trusted that the gateway was not told of.
    async with http.options(
        "api/boards",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    ) as preflight:
        assert "Access-Control-Allow-Origin" not in preflight.headers


# --- API9: improper inventory management -----------------------------------------------------


def test_api9_every_route_is_documented_in_the_api_contract() -> None:
    api = (REPO / "docs" / "api.md").read_text()
    # A section may abbreviate a path prefix: "`{c}` below is `/api/tasks/{taskId}/checklists`".
    for short, prefix in re.findall(r"`(\{\w+\})` below is `(/api/[^`]+)`", api):
        api = re.sub(rf"`(GET|POST|PUT|PATCH|DELETE) {re.escape(short)}", rf"`\1 {prefix}", api)
    documented = {
        f"{method} {_PARAM.sub('{}', path)}"
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/api/[^`?\s]+)", api)
    }
    missing = [
        _label(route)
        for route in ROUTES
        if f"{route.method} {_PARAM.sub('{}', route.pattern)}" not in documented
    ]
    assert not missing, f"routes missing from docs/api.md: {missing}"
