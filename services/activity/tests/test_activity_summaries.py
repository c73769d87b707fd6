"""The sentences entries carry: names from the projections, graceful fallbacks for unknown
ones, and the names a sentence lacked (so they can be looked up and healed later)."""

from __future__ import annotations

from typing import Any

import pytest

from hintro_activity.domain import NameKind, NameRef, Names, subject_of
from hintro_activity.summaries import summarize

ADA, BOB = "u-ada", "u-bob"


def names(**known: dict[str, str]) -> Names:
    result = Names()
    for kind, by_id in known.items():
        for ref_id, name in by_id.items():
            kind_name: NameKind = kind  # type: ignore[assignment]
            result.add(NameRef(kind_name, ref_id), name)
    return result


KNOWN = names(
    user={ADA: "Ada", BOB: "Bob"},
    list={"l-todo": "To do", "l-done": "Done"},
    task={"t-1": "Fix login"},
    previous_list={"l-todo": "Backlog"},
    previous_task={"t-1": "Fix logon"},
)
TASK = {"taskId": "t-1", "boardId": "b", "listId": "l-todo", "version": 2}


@pytest.mark.parametrize(
    ("event_type", "actor", "data", "expected"),
    [
        ("board.created", ADA, {"title": "Roadmap"}, "Ada created the board “Roadmap”"),
        ("board.updated", ADA, {"title": "Plans"}, "Ada renamed the board to “Plans”"),
        ("board.updated", ADA, {"description": "x"}, "Ada changed the board's description"),
        ("board.member_added", ADA, {"userId": BOB, "role": "editor"}, "Ada added Bob as editor"),
        (
            "board.member_role_changed",
            ADA,
            {"userId": BOB, "role": "viewer", "previousRole": "editor"},
            "Ada changed Bob's role from editor to viewer",
        ),
        (
            "board.member_removed",
            ADA,
            {"userId": BOB, "role": "editor"},
            "Ada removed Bob from the board",
        ),
        ("board.member_removed", BOB, {"userId": BOB, "role": "editor"}, "Bob left the board"),
        (
            "list.created",
            ADA,
            {"listId": "l-new", "title": "Doing"},
            "Ada created the list “Doing”",
        ),
        (
            "list.updated",
            ADA,
            {"listId": "l-todo", "title": "To do"},
            "Ada renamed the list “Backlog” to “To do”",
        ),
        ("list.updated", ADA, {"listId": "l-todo", "position": "b"}, "Ada moved the list “To do”"),
        ("list.deleted", ADA, {"listId": "l-done"}, "Ada deleted the list “Done”"),
        (
            "task.created",
            ADA,
            {**TASK, "title": "Fix login"},
            "Ada created “Fix login” in To do",
        ),
        (
            "task.moved",
            ADA,
            {**TASK, "fromListId": "l-todo", "toListId": "l-done"},
            "Ada moved “Fix login” from To do to Done",
        ),
        (
            "task.moved",
            ADA,
            {**TASK, "fromListId": "l-done", "toListId": "l-done"},
            "Ada reordered “Fix login” in Done",
        ),
        (
            "task.updated",
            ADA,
            {**TASK, "title": "Fix login"},
            "Ada renamed “Fix logon” to “Fix login”",
        ),
        (
            "task.updated",
            ADA,
            {**TASK, "description": "d", "labelIds": ["x"]},
            "Ada changed the description and labels of “Fix login”",
        ),
        ("task.updated", ADA, {**TASK, "dueDate": None}, "Ada removed the due date of “Fix login”"),
        (
            "task.updated",
            ADA,
            {**TASK, "dueDate": "2026-12-01T00:00:00Z"},
            "Ada set the due date of “Fix login” to 2026-12-01",
        ),
        (
            "task.updated",
            ADA,
            {**TASK, "startDate": "2026-11-20T09:00:00Z"},
            "Ada set the start date of “Fix login” to 2026-11-20",
        ),
        ("task.updated", ADA, {**TASK, "dueComplete": True}, "Ada marked “Fix login” complete"),
        ("task.updated", ADA, {**TASK, "dueComplete": False}, "Ada marked “Fix login” incomplete"),
        (
            "board.label_created",
            ADA,
            {"boardId": "b", "labelId": "l", "name": "Bug", "color": "red", "version": 2},
            "Ada created the label “Bug” (red)",
        ),
        (
            "board.label_updated",
            ADA,
            {"boardId": "b", "labelId": "l", "name": "Defect", "version": 3},
            "Ada renamed a label to “Defect”",
        ),
        (
            "board.label_updated",
            ADA,
            {"boardId": "b", "labelId": "l", "color": "blue", "version": 3},
            "Ada made a label blue",
        ),
        (
            "board.label_deleted",
            ADA,
            {"boardId": "b", "labelId": "l", "name": "Bug", "version": 4},
            "Ada deleted the label “Bug”",
        ),
        ("task.assigned", ADA, {**TASK, "userId": BOB}, "Ada assigned Bob to “Fix login”"),
        ("task.assigned", ADA, {**TASK, "userId": ADA}, "Ada assigned themselves to “Fix login”"),
        ("task.unassigned", ADA, {**TASK, "userId": BOB}, "Ada unassigned Bob from “Fix login”"),
        ("task.deleted", ADA, {**TASK}, "Ada deleted “Fix login”"),
        ("comment.created", BOB, {**TASK, "authorId": BOB}, "Bob commented on “Fix login”"),
        (
            "comment.updated",
            BOB,
            {**TASK, "authorId": BOB, "title": "Fix it"},
            "Bob edited a comment on “Fix it”",
        ),
        (
            "comment.deleted",
            BOB,
            {**TASK, "authorId": BOB},
            "Bob deleted their comment on “Fix login”",
        ),
        (
            "comment.deleted",
            ADA,
            {**TASK, "authorId": BOB},
            "Ada deleted Bob's comment on “Fix login”",
        ),
        ("board.archived", ADA, {"boardId": "b"}, "Ada archived the board"),
        ("board.restored", ADA, {"boardId": "b"}, "Ada restored the board"),
        ("list.archived", ADA, {"listId": "l-todo"}, "Ada archived the list “To do”"),
        (
            "list.restored",
            ADA,
            {"listId": "l-x", "title": "Later"},
            "Ada restored the list “Later”",
        ),
        ("task.archived", ADA, {**TASK}, "Ada archived “Fix login”"),
        (
            "task.archived",
            ADA,
            {**TASK, "withList": True},
            "Ada archived “Fix login” with its list",
        ),
        ("task.restored", ADA, {**TASK}, "Ada restored “Fix login”"),
        (
            "task.restored",
            ADA,
            {**TASK, "withList": True},
            "Ada restored “Fix login” with its list",
        ),
        (
            "task.restored",
            ADA,
            {**TASK, "listId": "l-done", "fromListId": "l-todo"},
            "Ada restored “Fix login” to Done",
        ),
    ],
)
def test_summary_names_the_people_lists_and_tasks(
    event_type: str, actor: str, data: dict[str, Any], expected: str
) -> None:
    summary = summarize(event_type, actor, data, KNOWN)
    assert summary.text == expected
    assert not summary.missing


def test_unknown_names_fall_back_gracefully_and_are_reported_missing() -> None:
    data = {"taskId": "t-9", "boardId": "b", "fromListId": "l-a", "toListId": "l-b", "version": 3}
    summary = summarize("task.moved", "u-x", data, Names())
    assert summary.text == "Someone moved a task from a list to another list"
    assert summary.missing == {
        NameRef("user", "u-x"),
        NameRef("task", "t-9"),
        NameRef("list", "l-a"),
        NameRef("list", "l-b"),
    }
    added = summarize("board.member_added", None, {"userId": "u-y", "role": "viewer"}, Names())
    assert added.text == "Someone added someone as viewer"


def test_a_rename_without_the_old_title_still_reads_well() -> None:
    summary = summarize("list.updated", ADA, {"listId": "l-1", "title": "Doing"}, KNOWN)
    assert summary.text == "Ada renamed a list to “Doing”"
    # The old title equal to the new one (a redelivery after the projection moved on) is no
    # old title at all.
    same = summarize("task.updated", ADA, {**TASK, "title": "Fix logon"}, KNOWN)
    assert same.text == "Ada renamed a task to “Fix logon”"


def test_a_title_the_event_carries_wins_over_the_projection() -> None:
    data = {**TASK, "title": "Ship it", "fromListId": "l-todo", "toListId": "l-done"}
    assert (
        summarize("task.moved", ADA, data, KNOWN).text == "Ada moved “Ship it” from To do to Done"
    )


def test_an_event_type_this_build_does_not_know_gets_a_generic_sentence() -> None:
    assert summarize("task.teleported", ADA, TASK, KNOWN).text == "Ada changed “Fix login”"
    assert summarize("board.frozen", ADA, {}, KNOWN).text == "Ada changed the board"


@pytest.mark.parametrize(
    ("event_type", "data", "kind", "subject_id"),
    [
        ("board.updated", {"boardId": "b"}, "board", "b"),
        ("board.member_added", {"boardId": "b", "userId": "u"}, "member", "u"),
        ("list.created", {"boardId": "b", "listId": "l"}, "list", "l"),
        ("task.moved", {"boardId": "b", "taskId": "t"}, "task", "t"),
        ("comment.created", {"boardId": "b", "taskId": "t", "commentId": "c"}, "task", "t"),
    ],
)
def test_subject_is_what_the_event_is_about(
    event_type: str, data: dict[str, Any], kind: str, subject_id: str
) -> None:
    subject = subject_of(event_type, "b", data)
    assert (subject.kind, subject.id) == (kind, subject_id)


def test_names_survive_their_stored_form() -> None:
    assert Names.from_doc(KNOWN.to_doc()).known == KNOWN.known
