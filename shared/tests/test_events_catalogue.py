"""The envelope and the event catalogue: what producers may build and what consumers accept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hintro_shared.events import EVENT_SCHEMAS, EventEnvelope, new_event, parse_envelope
from hintro_shared.events.catalogue import TaskMoved, TaskUpdated
from hintro_shared.events.envelope import UnknownEventType
from hintro_shared.jsonutil import dumps_bytes, loads
from hintro_shared.logging import request_id_var

API_EVENT_TYPES = {
    "user.registered",
    "board.created",
    "board.updated",
    "board.deleted",
    "board.member_added",
    "board.member_role_changed",
    "board.member_removed",
    "board.label_created",
    "board.label_updated",
    "board.label_deleted",
    "list.created",
    "list.updated",
    "list.deleted",
    "task.created",
    "task.updated",
    "task.moved",
    "task.assigned",
    "task.unassigned",
    "task.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "task.checklist_created",
    "task.checklist_updated",
    "task.checklist_deleted",
    "task.checklist_item_created",
    "task.checklist_item_updated",
    "task.checklist_item_moved",
    "task.checklist_item_deleted",
    "board.archived",
    "board.restored",
    "list.archived",
    "list.restored",
    "task.archived",
    "task.restored",
}
# Not domain events but the services' own feeds, never sent to clients (docs/api.md, "Event
# types"); each documented in docs/events.md and by its producer.
EXTENSION_EVENT_TYPES = {
    "activity.recorded",  # services/activity/README.md: what realtime pushes, with its seq
    "user.renamed",  # docs/events.md: PATCH /api/auth/me changed a name
    "labels.imported",  # docs/database.md: the task database's label migration, for board
    # services/notification/README.md: realtime pushes it to the user's own room
    "notification.created",
    # services/webhook/README.md: an endpoint failed for a day; notification tells its owner
    "webhook.endpoint_disabled",
}

MOVED = {
    "taskId": "t1",
    "boardId": "b1",
    "fromListId": "l1",
    "toListId": "l2",
    "position": "a0",
    "version": 4,
}


def test_catalogue_has_exactly_the_event_types_of_the_api_contract() -> None:
    assert set(EVENT_SCHEMAS) == API_EVENT_TYPES | EXTENSION_EVENT_TYPES


@pytest.mark.parametrize("event_type", sorted(API_EVENT_TYPES - {"user.registered"}))
def test_every_aggregate_event_requires_the_aggregate_version(event_type: str) -> None:
    schema = EVENT_SCHEMAS[event_type].model_json_schema(by_alias=True)
    assert "version" in schema["required"]
    aggregate_id = {"board": "boardId", "list": "listId", "task": "taskId", "comment": "commentId"}[
        event_type.split(".")[0]
    ]
    assert aggregate_id in schema["required"]


def test_envelope_serialises_with_the_camel_case_keys_of_the_contract() -> None:
    event = new_event(
        "task.moved",
        source="hintro/task",
        data=MOVED,
        board_id="b1",
        actor_id="u1",
        correlation_id="req-1",
        origin_socket_id="sid-1",
    )
    body = loads(event.to_json())
    assert set(body) == {
        "id",
        "type",
        "source",
        "time",
        "boardId",
        "actorId",
        "correlationId",
        "originSocketId",
        "version",
        "data",
    }
    assert body["type"] == "task.moved"
    assert body["version"] == 1
    assert body["data"] == MOVED
    assert body["time"].endswith("Z")


def test_optional_envelope_keys_are_omitted_when_absent() -> None:
    event = new_event(
        "user.registered",
        source="hintro/auth",
        data={"userId": "u1", "email": "ada@example.com", "name": "Ada"},
    )
    assert set(event.to_dict()) == {
        "id",
        "type",
        "source",
        "time",
        "correlationId",
        "version",
        "data",
    }


def test_correlation_id_defaults_to_the_current_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        event = new_event("task.moved", source="hintro/task", data=MOVED)
    finally:
        request_id_var.reset(token)
    assert event.correlation_id == "req-42"


def test_each_event_gets_a_distinct_id() -> None:
    ids = {new_event("task.moved", source="s", data=MOVED).id for _ in range(50)}
    assert len(ids) == 50


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(UnknownEventType):
        new_event("task.exploded", source="hintro/task", data={})


def test_data_missing_a_required_field_is_refused() -> None:
    data = {key: value for key, value in MOVED.items() if key != "toListId"}
    with pytest.raises(ValidationError):
        new_event("task.moved", source="hintro/task", data=data)


def test_data_with_an_unknown_field_is_refused_when_producing() -> None:
    with pytest.raises(ValueError, match="tolistId"):
        new_event("task.moved", source="hintro/task", data={**MOVED, "tolistId": "x"})


def test_a_model_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError):
        new_event("task.updated", source="hintro/task", data=TaskMoved.model_validate(MOVED))


def test_member_role_must_be_a_known_role() -> None:
    with pytest.raises(ValidationError):
        new_event(
            "board.member_added",
            source="hintro/board",
            data={"boardId": "b", "userId": "u", "role": "admin", "version": 2},
        )


def test_partial_update_carries_only_the_fields_that_changed_and_null_means_cleared() -> None:
    event = new_event(
        "task.updated",
        source="hintro/task",
        data={"taskId": "t", "boardId": "b", "listId": "l", "version": 3, "dueDate": None},
    )
    assert event.data == {
        "taskId": "t",
        "boardId": "b",
        "listId": "l",
        "version": 3,
        "dueDate": None,
    }
    parsed = event.data_as(TaskUpdated)
    assert parsed.model_fields_set == {"task_id", "board_id", "list_id", "version", "due_date"}
    assert parsed.due_date is None


def test_data_can_be_given_as_the_catalogue_model() -> None:
    moved = TaskMoved(
        task_id="t1", board_id="b1", from_list_id="l1", to_list_id="l2", position="a0", version=4
    )
    event = new_event("task.moved", source="hintro/task", data=moved)
    assert event.data == MOVED
    assert event.parsed_data() == moved


def test_a_published_envelope_parses_back_to_the_same_event() -> None:
    event = new_event("task.moved", source="hintro/task", data=MOVED, board_id="b1")
    assert parse_envelope(event.to_json()) == event


def test_consumers_ignore_unknown_data_fields_from_newer_producers() -> None:
    event = new_event("task.moved", source="hintro/task", data=MOVED)
    body = event.to_dict()
    body["data"]["addedLater"] = True
    parsed = parse_envelope(dumps_bytes(body))
    assert parsed.data_as(TaskMoved).to_list_id == "l2"


def test_consumers_accept_event_types_this_build_does_not_know() -> None:
    body = new_event("task.moved", source="hintro/task", data=MOVED).to_dict()
    body["type"] = "task.teleported"
    parsed = parse_envelope(dumps_bytes(body))
    assert parsed.parsed_data() is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "x"}',
    ],
)
def test_malformed_bodies_are_rejected(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"JSON|object|validation"):
        parse_envelope(body)


def test_known_type_with_invalid_data_is_rejected_when_consuming() -> None:
    body = new_event("task.moved", source="hintro/task", data=MOVED).to_dict()
    del body["data"]["taskId"]
    with pytest.raises(ValidationError):
        parse_envelope(dumps_bytes(body))


def test_envelope_time_must_carry_a_timezone() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope(
            id="e",
            type="task.moved",
            source="s",
            time=datetime(2026, 1, 1),
            correlation_id="c",
            data={},
        )
    assert (
        EventEnvelope(
            id="e",
            type="task.moved",
            source="s",
            time=datetime.now(UTC),
            correlation_id="c",
            data={},
        ).version
        == 1
    )
