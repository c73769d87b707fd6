"""The task database's migration 3 on the test MongoDB (``MONGO_URL``), through the deploy's own
``python -m hintro_task.migrate``: free-text task labels become ids of board labels (derived from
board and text), one ``labels.imported`` event per board waits in ``label_imports``' outbox,
the board projection knows the labels at once; a rerun changes nothing; ``down`` gives tasks
their text back, with the names the projection holds by then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from hintro_shared.labels import LABEL_COLORS, imported_label_id
from hintro_testkit.infra import unique
from tests.test_deploy_migrations import migrate, status

pytestmark = pytest.mark.integration


@pytest.fixture
async def client() -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    from hintro_testkit.infra import mongo_url

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url(), serverSelectionTimeoutMS=5000, tz_aware=True
    )
    yield mongo
    await mongo.close()


def _task(task_id: str, board_id: str, labels: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "_id": task_id,
        "boardId": board_id,
        "listId": f"l-{board_id}",
        "title": task_id,
        "description": "",
        "position": f"a{task_id}",
        "assigneeIds": [],
        "labels": labels,
        "dueDate": None,
        "createdBy": "u1",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "version": 1,
        **extra,
    }


async def test_free_text_labels_become_board_labels_and_come_back_on_down(
    client: AsyncMongoClient[dict[str, Any]],
) -> None:
    database = unique("mig_labels")
    db = client[database]
    try:
        assert migrate("task", database, "up", "--to", "2").returncode == 0
        await db.tasks.insert_many(
            [
                _task("t1", "b1", ["bug", "ui"]),
                _task("t2", "b1", [" bug ", "bug"]),
                _task("t3", "b2", ["bug"]),
                _task("t4", "b2", []),
                _task("t5", "b2", ["gone"], deleted=True),
            ]
        )
        up = migrate("task", database, "up", "--to", "3")
        assert up.returncode == 0, up.stderr
        assert status("task", database)["current"] == 3

        bug1, ui1, bug2 = (
            imported_label_id("b1", "bug"),
            imported_label_id("b1", "ui"),
            imported_label_id("b2", "bug"),
        )
        tasks = {doc["_id"]: doc async for doc in db.tasks.find({})}
        assert tasks["t1"]["labelIds"] == [bug1, ui1]
        assert tasks["t2"]["labelIds"] == [bug1]
        assert tasks["t3"]["labelIds"] == [bug2]
        assert tasks["t4"]["labelIds"] == []
        assert "labelIds" not in tasks["t5"]  # a tombstone on its way out is left alone
        # The previous release's pods still read the text during the rolling update.
        assert tasks["t1"]["labels"] == ["bug", "ui"]

        imports = {doc["_id"]: doc async for doc in db.label_imports.find({})}
        assert set(imports) == {"b1", "b2"}
        (entry,) = imports["b1"]["outbox"].values()
        assert imports["b1"]["outboxPending"] == 1
        assert entry["type"] == "labels.imported"
        assert entry["boardId"] == "b1"
        assert {(item["labelId"], item["name"]) for item in entry["data"]["labels"]} == {
            (bug1, "bug"),
            (ui1, "ui"),
        }
        assert all(item["color"] in LABEL_COLORS for item in entry["data"]["labels"])
        known = {doc["_id"]: doc async for doc in db.labels.find({})}
        assert set(known) == {bug1, ui1, bug2}
        assert known[bug2]["boardId"] == "b2"
        assert known[bug2]["name"] == "bug"

        # Running the step again (a crash before its record) changes nothing.
        await db.schema_migrations.delete_one({"_id": 3})
        assert migrate("task", database, "up", "--to", "3").returncode == 0
        assert {doc["_id"]: doc async for doc in db.tasks.find({})} == tasks
        assert await db.label_imports.count_documents({}) == 2

        # Meanwhile a label is renamed on its board and a task is relabelled.
        await db.labels.update_one({"_id": ui1}, {"$set": {"name": "frontend", "v": 5}})
        await db.tasks.update_one({"_id": "t3"}, {"$set": {"labelIds": []}})

        down = migrate("task", database, "down", "--to", "2")
        assert down.returncode == 0, down.stderr
        tasks = {doc["_id"]: doc async for doc in db.tasks.find({})}
        assert tasks["t1"]["labels"] == ["bug", "frontend"]
        assert tasks["t2"]["labels"] == ["bug"]
        assert tasks["t3"]["labels"] == []
        assert all("labelIds" not in doc for doc in tasks.values())
        assert "label_imports" not in await db.list_collection_names()

        again = migrate("task", database, "up", "--to", "3")
        assert again.returncode == 0, again.stderr
        relabelled = await db.tasks.find_one({"_id": "t1"})
        assert relabelled is not None
        assert relabelled["labelIds"] == [bug1, imported_label_id("b1", "frontend")]
    finally:
        await client.drop_database(database)
