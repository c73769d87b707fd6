"""The role matrix, end to end through the gateway: the owner, an editor, a viewer and a
non-member (four real users) against every route of the board and task services.

Each case starts from a fresh board (members, two lists, two tasks), so cases do not depend on
each other's order. A refused request must leave the board exactly as it was; an accepted write
must change it; a read must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    all_tasks,
    call,
    cast,
    create_board,
    create_list,
    create_task,
    ok,
)

ROLES = ("owner", "editor", "viewer", "outsider")
READ, WRITE, ELSEWHERE = "read", "write", "elsewhere"  # ELSEWHERE: a write to another board


@dataclass(frozen=True)
class Case:
    """One route (``"METHOD /path"``) with the status each role gets. Paths and bodies name the
    scene's objects: ``{board}``, ``{list}`` and ``{list2}``, ``{taskA}`` (assigned to
    ``{target}``) and ``{taskB}`` (both in ``{list}``), ``{target}`` (an editor),
    ``{outsider}`` and ``{me}`` (the caller)."""

    kind: str
    owner: int
    editor: int
    viewer: int
    outsider: int
    route: str
    body: Any = None
    prepare: str | None = None
    """A route the owner calls first (``"METHOD /path"``, e.g. archiving what is then deleted
    or restored); the scene is read after it."""

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self.route.split(" ", 1)[0]

    @property
    def path(self) -> str:
        """The path template."""
        return self.route.split(" ", 1)[1]

    @property
    def label(self) -> str:
        """The route and the body's fields (the test id)."""
        return self.route + (f" {{{','.join(self.body)}}}" if self.body else "")

    def status_for(self, role: str) -> int:
        """The expected status for ``role``."""
        status: int = getattr(self, role)
        return status


R, W, X = READ, WRITE, ELSEWHERE
# fmt: off
MATRIX: list[Case] = [
    # kind, status for: owner editor viewer outsider; route; body
    Case(R, 200, 200, 200, 200, "GET /api/boards"),
    Case(X, 201, 201, 201, 201, "POST /api/boards",                          {"title": "New"}),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}"),
    Case(W, 200, 200, 403, 404, "PATCH /api/boards/{board}",                 {"title": "Renamed"}),
    Case(W, 204, 403, 403, 404, "DELETE /api/boards/{board}",
         prepare="POST /api/boards/{board}/archive"),
    Case(W, 200, 403, 403, 404, "POST /api/boards/{board}/archive"),
    Case(W, 200, 403, 403, 404, "POST /api/boards/{board}/restore",
         prepare="POST /api/boards/{board}/archive"),
    Case(R, 200, 200, 200, 200, "GET /api/boards?archived=true"),
    Case(W, 201, 403, 403, 404, "POST /api/boards/{board}/members",          {"userId":
                                                                              "{outsider}"}),
    Case(W, 200, 403, 403, 404, "PATCH /api/boards/{board}/members/{target}", {"role": "viewer"}),
    Case(W, 204, 403, 403, 404, "DELETE /api/boards/{board}/members/{target}"),
    # Leaving: any member may remove themselves, except the owner (409: transfer first).
    Case(W, 409, 204, 204, 404, "DELETE /api/boards/{board}/members/{me}"),
    Case(W, 200, 403, 403, 404, "POST /api/boards/{board}/transfer",         {"userId":
                                                                              "{target}"}),
    # Profiles: everyone may ask; what comes back depends on shared boards (test_e2e_people).
    Case(R, 200, 200, 200, 200, "GET /api/users?ids={target},{me}"),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}/lists"),
    Case(W, 201, 201, 403, 404, "POST /api/boards/{board}/lists",            {"title": "Later"}),
    Case(W, 200, 200, 403, 404, "PATCH /api/lists/{list}",                   {"title": "Renamed"}),
    Case(W, 200, 200, 403, 404, "PATCH /api/lists/{list}",                   {"afterId":
                                                                              "{list2}"}),
    Case(W, 204, 204, 403, 404, "DELETE /api/lists/{list}",
         prepare="POST /api/lists/{list}/archive"),
    Case(W, 200, 200, 403, 404, "POST /api/lists/{list}/archive"),
    Case(W, 200, 200, 403, 404, "POST /api/lists/{list}/restore",
         prepare="POST /api/lists/{list}/archive"),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}/lists?archived=true"),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}/tasks"),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}/tasks?listId={list}"),
    Case(W, 201, 201, 403, 404, "POST /api/boards/{board}/tasks",            {"listId": "{list}",
                                                                              "title": "New"}),
    Case(R, 200, 200, 200, 404, "GET /api/tasks/{taskA}"),
    Case(W, 200, 200, 403, 404, "PATCH /api/tasks/{taskA}",                  {"title": "Renamed"}),
    Case(W, 200, 200, 403, 404, "POST /api/tasks/{taskA}/move",              {"listId": "{list2}"}),
    Case(W, 200, 200, 403, 404, "PUT /api/tasks/{taskB}/assignees/{target}"),
    Case(W, 200, 200, 403, 404, "DELETE /api/tasks/{taskA}/assignees/{target}"),
    Case(W, 204, 204, 403, 404, "DELETE /api/tasks/{taskA}",
         prepare="POST /api/tasks/{taskA}/archive"),
    Case(W, 200, 200, 403, 404, "POST /api/tasks/{taskA}/archive"),
    Case(W, 200, 200, 403, 404, "POST /api/tasks/{taskA}/restore",
         prepare="POST /api/tasks/{taskA}/archive"),
    Case(R, 200, 200, 200, 404, "GET /api/boards/{board}/tasks?archived=true"),
]
# fmt: on


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``{name}`` in its strings replaced by the scene's ids."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


async def _scene(http: aiohttp.ClientSession, users: dict[str, User]) -> dict[str, str]:
    """A fresh board: editor, viewer and target (editor) members; two lists; two tasks in the
    first list, the first assigned to target."""
    owner = users["owner"]
    board = await create_board(http, owner, "Role matrix")
    for name, role in (("editor", "editor"), ("viewer", "viewer"), ("target", "editor")):
        await add_member(http, owner, board["id"], users[name], role)
    first = await create_list(http, owner, board["id"], "To do")
    second = await create_list(http, owner, board["id"], "Done")
    task_a = await create_task(
        http, owner, board["id"], first["id"], "A", assigneeIds=[users["target"].id]
    )
    task_b = await create_task(http, owner, board["id"], first["id"], "B")
    return {
        "board": board["id"],
        "list": first["id"],
        "list2": second["id"],
        "taskA": task_a["id"],
        "taskB": task_b["id"],
        "target": users["target"].id,
        "outsider": users["outsider"].id,
    }


async def _state(http: aiohttp.ClientSession, owner: User, ids: dict[str, str]) -> Any:
    """Everything the owner can see of the scene: the board with its lists and members, every
    task, and what is archived (``None`` once the board is gone)."""
    board = await call(http, owner, "GET", f"api/boards/{ids['board']}")
    if board.status == 404:
        return None
    assert board.status == 200, board.text
    tasks = await all_tasks(http, owner, ids["board"])
    lists = await ok(http, owner, "GET", f"api/boards/{ids['board']}/lists?archived=true")
    archived = await ok(http, owner, "GET", f"api/boards/{ids['board']}/tasks?archived=true")
    return board.body, board.headers["ETag"], tasks, lists, archived["items"]


async def _prepare(
    http: aiohttp.ClientSession, owner: User, route: str, ids: dict[str, str]
) -> None:
    """The owner's preparing call, and, after a list's archive, its tasks following it."""
    method, path = route.split(" ", 1)
    await ok(http, owner, method, _fill(path, ids)[1:])
    if path.startswith("/api/lists/"):

        async def followed() -> bool:
            tasks = await all_tasks(http, owner, ids["board"])
            return all(task["listId"] != ids["list"] for task in tasks)

        await wait_for(followed, within=10, what="the archived list's tasks to follow it")


@pytest.mark.parametrize(
    ("case", "role"),
    [pytest.param(case, role, id=f"{case.label} {role}") for case in MATRIX for role in ROLES],
)
async def test_role_matrix(
    stack: Stack, http: aiohttp.ClientSession, case: Case, role: str
) -> None:
    users = await cast(http, stack.gateway_url)
    ids = await _scene(http, users)
    actor = users[role]
    ids["me"] = actor.id
    if case.prepare is not None:
        await _prepare(http, users["owner"], case.prepare, ids)
    before = await _state(http, users["owner"], ids)
    assert before is not None
    # The scene's tasks are all visible before anything happens (no false "unchanged" below).
    assert {task["id"] for task in [*before[2], *before[4]]} == {ids["taskA"], ids["taskB"]}

    body = _fill(case.body, ids)
    reply = await call(
        http,
        actor,
        case.method,
        _fill(case.path, ids),
        **({} if body is None else {"json_body": body}),
    )

    expected = case.status_for(role)
    assert reply.status == expected, reply.text
    if expected >= 400:
        reply.assert_problem(expected)
    if case.kind == ELSEWHERE:
        assert reply.body["ownerId"] == actor.id  # a board of their own, not this one
    after = await _state(http, users["owner"], ids)
    if case.kind == WRITE and expected < 400:
        assert after != before, "an accepted write changed nothing"
    else:
        assert after == before, "a read or a refused write changed the board"


async def test_board_listing_shows_a_board_to_its_members_only(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    users = await cast(http, stack.gateway_url)
    ids = await _scene(http, users)

    async def listed(user: User) -> bool:
        seen: set[str] = set()
        cursor = ""
        while True:
            page = await ok(http, user, "GET", f"api/boards?limit=100{cursor}")
            seen |= {board["id"] for board in page["items"]}
            if page["next"] is None:
                return ids["board"] in seen
            cursor = f"&cursor={quote(page['next'])}"

    for name in ("owner", "editor", "viewer", "target"):
        assert await listed(users[name]), name
    assert not await listed(users["outsider"])


@pytest.mark.parametrize("case", [pytest.param(case, id=case.label) for case in MATRIX])
async def test_every_route_refuses_an_anonymous_caller(
    stack: Stack, http: aiohttp.ClientSession, case: Case
) -> None:
    names = ("board", "list", "list2", "taskA", "taskB", "target", "me", "outsider")
    ids = dict.fromkeys(names, "0123456789abcdef")
    body = _fill(case.body, ids)
    reply = await call(
        http,
        None,
        case.method,
        _fill(case.path, ids),
        **({} if body is None else {"json_body": body}),
    )
    reply.assert_problem(401)
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
