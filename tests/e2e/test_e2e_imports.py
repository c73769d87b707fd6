"""Importing a Trello board end to end through the gateway (docs/api.md, "Imports"), with the
project's export ``tests/fixtures/trello/board.json``, which exercises every field read.

It runs on a lean stack of its own (gateway, auth, board, task, importer) whose importer fails
each job's first run right after step ``FAIL_AFTER`` was done and before it was recorded, as a
crash there would; so one import checks the resume and that no step made anything twice, and
then that every field landed. The upload limit is lowered to 2 MiB so the refusal is quick to
test, and stays above the 1 MiB of every other body, so an upload past that is seen to pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import User, call, ok, register
from tests.e2e.stacks import isolated_stack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "trello" / "board.json"
FAIL_AFTER = 14  # the third card: made, not recorded
MAX_BYTES = 2 * 1024 * 1024  # above the 1 MiB every other body is limited to
JSON = {"Content-Type": "application/json"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lean(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    limit = {"IMPORT_MAX_BYTES": str(MAX_BYTES)}
    async with isolated_stack(
        tmp_path_factory.mktemp("keys"),
        name="imports",
        only=("gateway", "auth", "board", "task", "importer"),
        service_env={"importer": {"FAIL_AFTER_STEPS": str(FAIL_AFTER), **limit}, "gateway": limit},
    ) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def http(lean: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{lean.gateway_url}/") as session:
        yield session


async def _known(http: aiohttp.ClientSession, asker: User, user: User) -> None:
    """Wait until the board service has heard of ``user`` (``user.registered``)."""

    async def found() -> bool:
        reply = await call(http, asker, "GET", f"api/users?email={user.email}")
        return reply.status == 200

    await wait_for(found, within=15, what=f"{user.name} known to the board service")


async def _upload(http: aiohttp.ClientSession, user: User, raw: bytes) -> tuple[int, Any]:
    reply = await call(http, user, "POST", "api/imports", data=raw, headers=JSON)
    return reply.status, reply.body


async def _settled(http: aiohttp.ClientSession, user: User, import_id: str) -> dict[str, Any]:
    async def settled() -> dict[str, Any] | None:
        job: dict[str, Any] = await ok(http, user, "GET", f"api/imports/{import_id}")
        return job if job["status"] in ("done", "failed") else None

    return await wait_for(settled, within=60, interval=0.2, what="the import to settle")


def _export_with(email: str) -> bytes:
    export = json.loads(FIXTURE.read_text())
    export = copy.deepcopy(export)
    export["members"][0]["email"] = email
    return json.dumps(export).encode()


@pytest.mark.timeout(240)
async def test_trello_export_imports_every_field_resumes_and_never_duplicates(
    http: aiohttp.ClientSession,
) -> None:
    owner, ada = await register(http, "Owner"), await register(http, "Ada")
    await _known(http, owner, ada)
    raw = _export_with(ada.email)

    status, job = await _upload(http, owner, raw)
    assert status == 202, job
    assert job["status"] in ("queued", "running")
    assert job["total"] == 29
    failed = await _settled(http, owner, job["id"])
    assert failed["status"] == "failed"
    assert failed["resumable"] is True
    assert "Injected failure" in failed["error"]
    assert failed["done"] == FAIL_AFTER - 1

    # The same file again: the same import, nothing new started.
    status, again = await _upload(http, owner, raw)
    assert status == 200
    assert again["id"] == job["id"]

    resumed = await ok(http, owner, "POST", f"api/imports/{job['id']}/resume", 202)
    assert resumed["status"] in ("running", "done")
    done = await _settled(http, owner, job["id"])
    assert done["status"] == "done", done
    assert (done["done"], done["phase"], done["attempts"]) == (29, "done", 2)
    assert done["matchedMembers"] == 1
    assert sorted(done["unmatchedMembers"]) == ["Grace Hopper", "Linus Example"]
    conflict = await call(http, owner, "POST", f"api/imports/{job['id']}/resume")
    assert conflict.assert_problem(409)["detail"].endswith("it is finished.")

    board_id = done["boardId"]
    await _check_board(http, owner, ada, board_id)
    await _check_cards(http, owner, ada, board_id)

    # After it finished, the same file still answers the same import; one board only.
    status, third = await _upload(http, owner, raw)
    assert (status, third["id"], third["status"]) == (200, job["id"], "done")
    boards = await ok(http, owner, "GET", "api/boards")
    assert [b["title"] for b in boards["items"]].count("Product Launch") == 1
    mine = await ok(http, owner, "GET", "api/imports")
    assert [item["id"] for item in mine["items"]] == [job["id"]]
    # Someone else's import is not found.
    assert (await call(http, ada, "GET", f"api/imports/{job['id']}")).status == 404


async def _check_board(http: aiohttp.ClientSession, owner: User, ada: User, board_id: str) -> None:
    board = await ok(http, owner, "GET", f"api/boards/{board_id}")
    assert board["title"] == "Product Launch"
    assert board["description"] == "Everything for the **spring launch**."
    assert [item["title"] for item in board["lists"]] == ["To Do", "Doing", "Done"]
    archived = await ok(http, owner, "GET", f"api/boards/{board_id}/lists?archived=true")
    assert [item["title"] for item in archived] == ["Old ideas"]
    roles = {member["userId"]: member["role"] for member in board["members"]}
    assert roles == {owner.id: "owner", ada.id: "editor"}
    labels = await ok(http, owner, "GET", f"api/boards/{board_id}/labels")
    assert [(label["name"], label["color"]) for label in labels] == [
        ("Feature", "green"),
        ("Bug", "red"),
        ("Design", "sky"),
        ("Black", "black"),
    ]


async def _check_cards(http: aiohttp.ClientSession, owner: User, ada: User, board_id: str) -> None:
    board = await ok(http, owner, "GET", f"api/boards/{board_id}")
    list_ids = {item["title"]: item["id"] for item in board["lists"]}
    labels = {
        label["id"]: label["name"]
        for label in await ok(http, owner, "GET", f"api/boards/{board_id}/labels")
    }
    live = (await ok(http, owner, "GET", f"api/boards/{board_id}/tasks?all=true"))["items"]
    by_list = {
        title: [t["title"] for t in live if t["listId"] == list_id]
        for title, list_id in list_ids.items()
    }
    # Trello's pos order within each list, without duplicates after the resume.
    assert by_list == {
        "To Do": ["Design the landing page", "Pick the launch date", "Write the press release"],
        "Doing": ["Fix the signup crash"],
        "Done": ["Set up analytics"],
    }
    archived = await ok(http, owner, "GET", f"api/boards/{board_id}/tasks?archived=true")
    archived_titles = sorted(t["title"] for t in archived["items"])
    assert "Old banner experiment" in archived_titles
    assert set(archived_titles) <= {"Old banner experiment", "Podcast tour"}

    cards = {t["title"]: t for t in live}
    design = cards["Design the landing page"]
    assert design["description"] == "Hero, pricing and *FAQ* sections."
    assert sorted(labels[i] for i in design["labelIds"]) == ["Design", "Feature"]
    assert design["assigneeIds"] == [ada.id]
    assert design["startDate"].startswith("2026-03-01T09:00:00")
    assert design["dueDate"].startswith("2026-03-10T17:00:00")
    assert design["dueComplete"] is False
    pick = cards["Pick the launch date"]
    assert pick["dueComplete"] is True
    assert pick["dueDate"].startswith("2026-02-20T12:00:00")
    assert [labels[i] for i in pick["labelIds"]] == ["Black"]
    assert pick["assigneeIds"] == []  # Grace has no account here
    fix = cards["Fix the signup crash"]
    assert fix["description"] == "Crashes on Safari <script>alert(1)</script>"  # as given

    checklists = await ok(http, owner, "GET", f"api/tasks/{design['id']}/checklists")
    shaped = [
        (c["title"], [(i["text"], i["done"]) for i in c["items"]]) for c in checklists["checklists"]
    ]
    assert shaped == [
        ("Content", [("Hero copy", True), ("Pricing table", False), ("FAQ", False)]),
        ("Review", [("Legal sign-off", True)]),
    ]
    pricing = checklists["checklists"][0]["items"][1]
    assert pricing["assigneeId"] == ada.id
    assert pricing["dueDate"].startswith("2026-03-05T12:00:00")

    comments = (await ok(http, owner, "GET", f"api/tasks/{design['id']}/comments"))["items"]
    assert [(c["text"], c["imported"]["authorName"]) for c in comments] == [
        ("Looks good <b>to me</b>.", "Grace Hopper"),
        ("First draft is in the drive.", "Ada Lovelace"),
    ]
    assert comments[1]["imported"]["createdAt"].startswith("2026-02-01T09:30:00")
    assert all(c["authorId"] == owner.id for c in comments)
    other = (await ok(http, owner, "GET", f"api/tasks/{pick['id']}/comments"))["items"]
    assert [c["imported"]["authorName"] for c in other] == ["Linus Example"]


async def test_bad_uploads_are_refused_with_a_sentence(http: aiohttp.ClientSession) -> None:
    user = await register(http, "Uploader")
    big = b'{"id": "x", "name": "B", "lists": [], "cards": [], "desc": "' + b"x" * MAX_BYTES + b'"}'
    status, problem = await _upload(http, user, big)
    assert status == 413
    assert problem["detail"] == "The request body is larger than the 2 MiB limit."
    # 1.5 MiB (Trello's exports carry much the importer ignores) is taken.
    padded = {"id": "b1", "name": "Padded", "lists": [], "cards": [], "prefs": "x" * 1_500_000}
    status, job = await _upload(http, user, json.dumps(padded).encode())
    assert status == 202, job
    assert (await _settled(http, user, job["id"]))["status"] == "done"

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * (MAX_BYTES // 2)

    async with http.post("api/imports", data=chunked(), headers={**user.auth, **JSON}) as reply:
        assert reply.status == 413

    status, problem = await _upload(http, user, b"{not json")
    assert status == 422
    assert problem["errors"][0]["msg"] == "The file is not valid JSON."
    status, problem = await _upload(http, user, b'{"name": "Board"}')
    assert status == 422
    assert problem["errors"][0]["msg"].startswith("The file is not a Trello board export")
    assert [item["id"] for item in (await ok(http, user, "GET", "api/imports"))["items"]] == [
        job["id"]
    ]
    anonymous = await call(http, None, "POST", "api/imports", data=b"{}", headers=JSON)
    assert anonymous.status == 401
