"""Bad input to the board and task services through the gateway: 422 for bodies that fail
validation (too long, unknown field, too many labels), 400 for malformed JSON or a wrong content
type; each answered as problem+json and each changing nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hintro_devtools.stack import Stack
from tests.e2e.boards_helpers import (
    User,
    all_tasks,
    call,
    cast,
    create_board,
    create_label,
    create_list,
    create_task,
)

JSON = {"Content-Type": "application/json"}

# (method, path template, body, status): the body is JSON unless it is bytes (sent raw as JSON).
BAD_REQUESTS = [
    ("POST", "api/boards", {"title": "x" * 201}, 422),
    ("POST", "api/boards", {"title": "Fine", "colour": "red"}, 422),
    ("POST", "api/boards", b'{"title": "Unclosed', 400),
    ("PATCH", "api/boards/{board}", {"title": "x" * 201}, 422),
    ("PATCH", "api/boards/{board}", {"title": "Fine", "ownerId": "someone"}, 422),
    ("PATCH", "api/boards/{board}", {"title": None}, 422),
    ("PATCH", "api/boards/{board}", {}, 422),
    ("PATCH", "api/boards/{board}", b"{not json", 400),
    ("POST", "api/boards/{board}/lists", {"title": ""}, 422),
    ("POST", "api/boards/{board}/lists", {"title": "Fine", "position": "a0"}, 422),
    ("PATCH", "api/lists/{list}", {"title": "x" * 201}, 422),
    ("PATCH", "api/lists/{list}", b"[1, 2", 400),
    ("POST", "api/boards/{board}/tasks", {"listId": "{list}", "title": "x" * 201}, 422),
    ("POST", "api/boards/{board}/tasks", {"listId": "{list}", "title": "T", "x": 1}, 422),
    (
        "POST",
        "api/boards/{board}/tasks",
        {"listId": "{list}", "title": "T", "labelIds": [f"l{i}" for i in range(21)]},
        422,
    ),
    ("POST", "api/boards/{board}/tasks", {"listId": "{list}", "title": "T", "labelIds": [""]}, 422),
    ("POST", "api/boards/{board}/tasks", {"listId": "{list}", "title": "T", "labels": ["a"]}, 422),
    ("POST", "api/boards/{board}/tasks", b'{"listId": ', 400),
    ("PATCH", "api/tasks/{task}", {"labelIds": [f"l{i}" for i in range(21)]}, 422),
    ("PATCH", "api/tasks/{task}", {"labelIds": ["nosuchlabel"]}, 422),
    ("PATCH", "api/tasks/{task}", {"startDate": "2099-01-01"}, 422),
    ("POST", "api/boards/{board}/labels", {"name": "", "color": "red"}, 422),
    ("POST", "api/boards/{board}/labels", {"name": "x", "color": "teal"}, 422),
    ("PATCH", "api/boards/{board}/labels/{label}", {"color": None}, 422),
    ("PATCH", "api/tasks/{task}", {"title": "x" * 201}, 422),
    ("PATCH", "api/tasks/{task}", {"title": "T", "position": "a0"}, 422),
    ("PATCH", "api/tasks/{task}", {"description": "x" * 10_001}, 422),
    ("PATCH", "api/tasks/{task}", b"\xff\xfe", 400),
    ("POST", "api/tasks/{task}/move", {"listId": "{list}", "position": "a0"}, 422),
    ("POST", "api/tasks/{task}/move", {"listId": "{list}", "afterId": "{task}"}, 422),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


async def _state(http: aiohttp.ClientSession, owner: User, board_id: str) -> Any:
    board = await call(http, owner, "GET", f"api/boards/{board_id}")
    boards = await call(http, owner, "GET", "api/boards?limit=100")
    return board.text, board.headers["ETag"], boards.text, await all_tasks(http, owner, board_id)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param(*case, id=f"{case[0]} {case[1]} {case[3]} #{number}")
        for number, case in enumerate(BAD_REQUESTS)
    ],
)
async def test_bad_input_is_a_problem_and_changes_nothing(
    stack: Stack,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board = await create_board(http, owner, "Validation")
    todo = await create_list(http, owner, board["id"], "To do")
    label = await create_label(http, owner, board["id"], "a", "green")
    task = await create_task(
        http, owner, board["id"], todo["id"], "Task", labelIds=[label["id"]], dueDate="2030-01-01"
    )
    ids = {"board": board["id"], "list": todo["id"], "task": task["id"], "label": label["id"]}
    before = await _state(http, owner, board["id"])

    if isinstance(body, bytes):
        reply = await call(http, owner, method, _fill(path, ids), data=body, headers=JSON)
    else:
        reply = await call(http, owner, method, _fill(path, ids), json_body=_fill(body, ids))

    problem = reply.assert_problem(status)
    if status == 422:
        assert problem["errors"], problem
        assert all(isinstance(error["loc"], list) for error in problem["errors"])
    assert await _state(http, owner, board["id"]) == before


async def test_a_body_that_is_not_json_is_400(stack: Stack, http: aiohttp.ClientSession) -> None:
    owner = (await cast(http, stack.gateway_url))["owner"]
    board = await create_board(http, owner, "Content types")
    before = await _state(http, owner, board["id"])
    for path in (f"api/boards/{board['id']}", f"api/boards/{board['id']}/lists"):
        method = "PATCH" if path.endswith(board["id"]) else "POST"
        reply = await call(
            http,
            owner,
            method,
            path,
            data=b"title=Form",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        reply.assert_problem(400)
    assert await _state(http, owner, board["id"]) == before
