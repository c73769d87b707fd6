"""The mapping of a Trello export to the steps of an import (pure logic), on the project's
fixture ``tests/fixtures/trello/board.json``, which exercises every field the importer reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hintro_importer.domain import NotATrelloExport, hintro_id
from hintro_importer.trello import build_plan, label_colour, parse_json

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "trello" / "board.json"
JOB = "0" * 32


def _export() -> dict[str, Any]:
    return parse_json(FIXTURE.read_bytes())


def _of(kind: str, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [step for step in steps if step["k"] == kind]


def _hid(kind: str, trello_id: str) -> str:
    return hintro_id(JOB, kind, trello_id)


def test_steps_follow_trello_order_and_keep_every_field() -> None:
    plan = build_plan(_export(), JOB)
    kinds = [step["k"] for step in plan.steps]
    # Creation before archiving; the board first.
    assert kinds[0] == "board"
    assert kinds.index("archive_task") > max(i for i, k in enumerate(kinds) if k == "comment")
    board = plan.steps[0]
    assert board["title"] == "Product Launch"
    assert board["description"] == "Everything for the **spring launch**."
    assert [s["title"] for s in _of("list", plan.steps)] == ["To Do", "Doing", "Done", "Old ideas"]
    tasks = _of("task", plan.steps)
    assert [t["title"] for t in tasks] == [
        "Design the landing page",
        "Pick the launch date",
        "Write the press release",
        "Old banner experiment",
        "Fix the signup crash",
        "Set up analytics",
        "Podcast tour",
    ]
    design = tasks[0]
    assert design["listId"] == _hid("list", "65a1f0c2b7e4d3a1c0f9e821")
    assert design["description"] == "Hero, pricing and *FAQ* sections."
    assert design["labelIds"] == [
        _hid("label", "65a1f0c2b7e4d3a1c0f9e811"),
        _hid("label", "65a1f0c2b7e4d3a1c0f9e813"),
    ]
    assert design["members"] == ["65a1f0c2b7e4d3a1c0f9e8a1"]
    assert (design["startDate"], design["dueDate"]) == (
        "2026-03-01T09:00:00.000Z",
        "2026-03-10T17:00:00.000Z",
    )
    assert design["dueComplete"] is False
    assert tasks[1]["dueComplete"] is True


def test_labels_get_the_nearest_palette_colour_and_a_name() -> None:
    labels = _of("label", build_plan(_export(), JOB).steps)
    assert [(label["name"], label["color"]) for label in labels] == [
        ("Feature", "green"),
        ("Bug", "red"),
        ("Design", "sky"),
        ("Black", "black"),
    ]
    assert label_colour("purple_light") == "purple"
    assert label_colour("magenta") == "black"


def test_checklists_and_items_in_pos_order_with_state_due_and_member() -> None:
    steps = build_plan(_export(), JOB).steps
    assert [c["title"] for c in _of("checklist", steps)] == ["Content", "Review"]
    items = _of("item", steps)
    assert [(i["text"], i["done"]) for i in items] == [
        ("Hero copy", True),
        ("Pricing table", False),
        ("FAQ", False),
        ("Legal sign-off", True),
    ]
    assert items[1]["dueDate"] == "2026-03-05T12:00:00.000Z"
    assert items[1]["member"] == "65a1f0c2b7e4d3a1c0f9e8a1"
    assert items[0]["checklistId"] == _hid("checklist", "65a1f0c2b7e4d3a1c0f9e841")


def test_comments_oldest_first_with_author_and_date_other_actions_ignored() -> None:
    comments = _of("comment", build_plan(_export(), JOB).steps)
    assert [(c["authorName"], c["createdAt"], c["text"]) for c in comments] == [
        ("Ada Lovelace", "2026-02-01T09:30:00.000Z", "First draft is in the drive."),
        ("Linus Example", "2026-02-02T14:15:00.000Z", "Can we ship before the 20th?"),
        ("Grace Hopper", "2026-02-03T10:00:00.000Z", "Looks good <b>to me</b>."),
    ]


def test_archived_lists_and_cards_and_members() -> None:
    plan = build_plan(_export(), JOB)
    assert _of("archive_task", plan.steps) == [
        {"k": "archive_task", "taskId": _hid("task", "65a1f0c2b7e4d3a1c0f9e835")}
    ]
    assert _of("archive_list", plan.steps) == [
        {"k": "archive_list", "listId": _hid("list", "65a1f0c2b7e4d3a1c0f9e824")}
    ]
    assert _of("archive_board", plan.steps) == []
    assert [m["email"] for m in _of("member", plan.steps)] == [
        "ada@example.test",
        "linus@nobody.example.test",
    ]
    assert plan.unmatched == ["Grace Hopper"]


def test_ids_are_stable_per_job_and_distinct_between_jobs() -> None:
    first, again = build_plan(_export(), JOB), build_plan(_export(), JOB)
    other = build_plan(_export(), "1" * 32)
    assert first.steps == again.steps
    assert first.steps[0]["id"] != other.steps[0]["id"]
    ids = [step["id"] for step in first.steps if "id" in step]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_overlong_text_is_cut_with_a_warning() -> None:
    export = _export()
    export["cards"][0]["name"] = "x" * 500
    plan = build_plan(export, JOB)
    assert max(len(t["title"]) for t in _of("task", plan.steps)) == 200
    assert "A card's name was cut to 200 characters." in plan.warnings


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        (b"{not json", "The file is not valid JSON."),
        (b"[1, 2]", "The file is not a Trello board export: it is not a JSON object."),
        (b'{"id": "x", "name": "B", "lists": []}', "it has no board 'cards'"),
    ],
)
def test_not_an_export_is_refused_with_a_sentence(raw: bytes, sentence: str) -> None:
    with pytest.raises(NotATrelloExport) as refused:
        parse_json(raw)
    assert sentence in refused.value.message
