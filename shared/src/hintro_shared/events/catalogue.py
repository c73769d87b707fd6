"""The schema of every event's ``data``, one pydantic model per event type (docs/events.md,
"The catalogue"; docs/api.md, "Event types", says which ones clients receive), and the registry
:data:`EVENT_SCHEMAS` that producers, consumers and the AsyncAPI document are built from.

JSON keys are camelCase (``boardId``); Python attributes are snake_case. Events about an
aggregate always carry its id and its ``version`` after the change, so a consumer can apply
them with a version guard (:func:`hintro_shared.events.idempotency.apply_if_newer`) whatever
order they arrive in. "Fields that changed" events (``*.updated``) declare every changeable
field as optional: a key that is present changed (``null`` means cleared), an absent key did not.

Models ignore unknown keys when *reading* (a newer producer may add fields without breaking an
older consumer); :func:`hintro_shared.events.envelope.new_event` refuses them when *producing*.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hintro_shared.labels import LabelColor

Role = Literal["owner", "editor", "viewer"]
Id = Annotated[str, Field(min_length=1, max_length=200)]
Version = Annotated[int, Field(ge=1, description="The aggregate's version after this change.")]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]
Position = Annotated[str, Field(min_length=1, description="Fractional index; sorts as a string.")]
LabelName = Annotated[str, Field(min_length=1, max_length=50)]
LabelIds = Annotated[list[Id], Field(max_length=20)]


WIRE_CONFIG = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    extra="ignore",
    frozen=True,
)
"""How every model on the wire (the envelope and each event's ``data``) reads and writes."""


class EventData(BaseModel):
    """Base of every event's ``data``: camelCase JSON, immutable, tolerant of unknown keys."""

    model_config = WIRE_CONFIG


class Member(EventData):
    """A board member as carried in ``board.created``."""

    user_id: Id
    role: Role


# --- auth -------------------------------------------------------------------------------------


class UserRegistered(EventData):
    """``user.registered``: a new account exists (never carries the password or its hash)."""

    user_id: Id
    email: Annotated[str, Field(min_length=3, max_length=320)]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class UserRenamed(EventData):
    """``user.renamed``: the user's display name changed. Consumers keep the newest by the
    envelope's ``time``; what was already written with the old name keeps it."""

    user_id: Id
    name: Annotated[str, Field(min_length=1, max_length=100)]


# --- boards -----------------------------------------------------------------------------------


class BoardCreated(EventData):
    """``board.created``: the whole new board, its owner as the first member."""

    board_id: Id
    title: Title
    description: Description = ""
    owner_id: Id
    members: list[Member]
    created_at: AwareDatetime
    version: Version


class BoardUpdated(EventData):
    """``board.updated``: the board fields that changed."""

    board_id: Id
    version: Version
    title: Title | None = None
    description: Description | None = None
    updated_at: AwareDatetime | None = None


class BoardDeleted(EventData):
    """``board.deleted``: the board, its lists, tasks and activity are gone."""

    board_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its last title, for summaries.")


class MemberAdded(EventData):
    """``board.member_added``."""

    board_id: Id
    user_id: Id
    role: Role
    version: Version


class MemberRoleChanged(EventData):
    """``board.member_role_changed``: ``role`` is the new role."""

    board_id: Id
    user_id: Id
    role: Role
    previous_role: Role | None = None
    version: Version


class MemberRemoved(EventData):
    """``board.member_removed``: ``role`` is the role the member had."""

    board_id: Id
    user_id: Id
    role: Role
    version: Version


# --- labels ---------------------------------------------------------------------------------


class LabelCreated(EventData):
    """``board.label_created``: a label was added to the board (``version`` is the board's)."""

    board_id: Id
    label_id: Id
    name: LabelName
    color: LabelColor
    version: Version


class LabelUpdated(EventData):
    """``board.label_updated``: the label fields that changed."""

    board_id: Id
    label_id: Id
    version: Version
    name: LabelName | None = None
    color: LabelColor | None = None


class LabelDeleted(EventData):
    """``board.label_deleted``: the label is gone; the task service detaches it from every task
    (a ``task.updated`` with the new ``labelIds`` each)."""

    board_id: Id
    label_id: Id
    version: Version
    name: LabelName | None = Field(default=None, description="Its last name, for summaries.")


class ImportedLabel(EventData):
    """One label of ``labels.imported``."""

    label_id: Id
    name: LabelName
    color: LabelColor


class LabelsImported(EventData):
    """``labels.imported``: the task database's migration turned the free-text labels of a
    board's tasks into these label ids; the board service creates each label it does not have
    yet (``board.label_created``). Never logged nor pushed."""

    board_id: Id
    labels: Annotated[list[ImportedLabel], Field(max_length=10_000)]


# --- lists ------------------------------------------------------------------------------------


class ListCreated(EventData):
    """``list.created``: the whole new list."""

    list_id: Id
    board_id: Id
    title: Title
    position: Position
    created_at: AwareDatetime
    version: Version


class ListUpdated(EventData):
    """``list.updated``: the list fields that changed (a reorder changes ``position``)."""

    list_id: Id
    board_id: Id
    version: Version
    title: Title | None = None
    position: Position | None = None
    updated_at: AwareDatetime | None = None


class ListDeleted(EventData):
    """``list.deleted``: the list and its tasks are gone."""

    list_id: Id
    board_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its last title, for summaries.")


# --- tasks ------------------------------------------------------------------------------------


class TaskCreated(EventData):
    """``task.created``: the whole new task."""

    task_id: Id
    board_id: Id
    list_id: Id
    title: Title
    description: Description = ""
    position: Position
    assignee_ids: Annotated[list[Id], Field(max_length=50)] = []
    label_ids: LabelIds = []
    start_date: AwareDatetime | None = None
    due_date: AwareDatetime | None = None
    due_complete: bool = False
    created_by: Id
    created_at: AwareDatetime
    version: Version


class TaskUpdated(EventData):
    """``task.updated``: the task fields that changed (``dueDate: null`` clears the date)."""

    task_id: Id
    board_id: Id
    list_id: Id
    version: Version
    title: Title | None = None
    description: Description | None = None
    label_ids: LabelIds | None = None
    start_date: AwareDatetime | None = None
    due_date: AwareDatetime | None = None
    due_complete: bool | None = None
    updated_at: AwareDatetime | None = None


class TaskMoved(EventData):
    """``task.moved``: to another list and/or another place in its list."""

    task_id: Id
    board_id: Id
    from_list_id: Id
    to_list_id: Id
    position: Position
    version: Version
    title: Title | None = Field(default=None, description="Its title, for summaries.")


class TaskAssigned(EventData):
    """``task.assigned``: ``userId`` was added to the task's assignees."""

    task_id: Id
    board_id: Id
    list_id: Id
    user_id: Id
    version: Version


class TaskUnassigned(EventData):
    """``task.unassigned``: ``userId`` was removed from the task's assignees."""

    task_id: Id
    board_id: Id
    list_id: Id
    user_id: Id
    version: Version


class TaskDeleted(EventData):
    """``task.deleted``."""

    task_id: Id
    board_id: Id
    list_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its last title, for summaries.")


# --- comments ---------------------------------------------------------------------------------

Mentions = Annotated[
    list[Id],
    Field(max_length=50, description="Board members the text mentions (user ids, in order)."),
]
TaskVersion = Annotated[
    int, Field(ge=1, description="The task's version after this change (its commentCount moved).")
]
CommentCount = Annotated[int, Field(ge=0, description="The task's comment count after it.")]


class CommentCreated(EventData):
    """``comment.created``: a comment was added to a task. The text is not carried (read it
    with the comment routes): an immutable activity log must not keep text its author later
    edits or deletes."""

    comment_id: Id
    task_id: Id
    board_id: Id
    list_id: Id
    author_id: Id
    mentions: Mentions = []
    created_at: AwareDatetime
    version: Version
    task_version: TaskVersion
    comment_count: CommentCount
    title: Title | None = Field(default=None, description="The task's title, for summaries.")


class CommentUpdated(EventData):
    """``comment.updated``: the comment's text was edited (the task does not change)."""

    comment_id: Id
    task_id: Id
    board_id: Id
    list_id: Id
    author_id: Id
    mentions: Mentions = []
    added_mentions: Mentions = Field(
        default=[], description="Mentions the edit added (not in the text before it)."
    )
    updated_at: AwareDatetime
    version: Version
    title: Title | None = Field(default=None, description="The task's title, for summaries.")


class CommentDeleted(EventData):
    """``comment.deleted``: a comment was deleted by its author or the board's owner. A task's
    deletion takes its comments along without this event (``task.deleted`` says it)."""

    comment_id: Id
    task_id: Id
    board_id: Id
    list_id: Id
    author_id: Id
    version: Version
    task_version: TaskVersion
    comment_count: CommentCount
    title: Title | None = Field(default=None, description="The task's title, for summaries.")


# --- task checklists (changes of the task aggregate: its version grows) --------------------------


class ChecklistProgress(EventData):
    """Done and total items over a task's checklists after the change."""

    done: Annotated[int, Field(ge=0)]
    total: Annotated[int, Field(ge=0)]


ChecklistTitle = Annotated[str, Field(min_length=1, max_length=200)]
ItemText = Annotated[str, Field(min_length=1, max_length=1_000)]


class _ChecklistEvent(EventData):
    """What every ``task.checklist_*`` event carries: the task (its version after the change,
    its title for summaries), the checklist, and the task's checklist progress."""

    task_id: Id
    board_id: Id
    list_id: Id
    version: Version
    title: Title | None = Field(default=None, description="The task's title, for summaries.")
    checklist_id: Id
    checklist_progress: ChecklistProgress


class ChecklistCreated(_ChecklistEvent):
    """``task.checklist_created``: a new, empty checklist on the task."""

    checklist_title: ChecklistTitle
    position: Position


class ChecklistUpdated(_ChecklistEvent):
    """``task.checklist_updated``: the checklist's new title and/or position."""

    checklist_title: ChecklistTitle | None = None
    position: Position | None = None


class ChecklistDeleted(_ChecklistEvent):
    """``task.checklist_deleted``: the checklist and its items are gone."""

    checklist_title: ChecklistTitle | None = None


class ChecklistItemCreated(_ChecklistEvent):
    """``task.checklist_item_created``: the whole new item."""

    item_id: Id
    text: ItemText
    done: bool = False
    position: Position
    assignee_id: Id | None = None
    due_date: AwareDatetime | None = None


class ChecklistItemUpdated(_ChecklistEvent):
    """``task.checklist_item_updated``: the item fields that changed (``null`` clears the
    assignee or the date); ``text`` is always there (for summaries)."""

    item_id: Id
    text: ItemText
    done: bool | None = None
    assignee_id: Id | None = None
    due_date: AwareDatetime | None = None


class ChecklistItemMoved(_ChecklistEvent):
    """``task.checklist_item_moved``: to ``position`` in ``checklistId`` (from
    ``fromChecklistId``, the same checklist for a reorder)."""

    from_checklist_id: Id
    item_id: Id
    text: ItemText | None = None
    position: Position


class ChecklistItemDeleted(_ChecklistEvent):
    """``task.checklist_item_deleted``."""

    item_id: Id
    text: ItemText | None = None


# --- archive and restore ----------------------------------------------------------------------


class BoardArchived(EventData):
    """``board.archived``: the board is hidden from its members' board lists (still readable
    by link, restorable, and the only state in which it may be deleted)."""

    board_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its title, for summaries.")
    archived_at: AwareDatetime


class BoardRestored(EventData):
    """``board.restored``: an archived board is back in its members' board lists."""

    board_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its title, for summaries.")


class ListArchived(EventData):
    """``list.archived``: the list is hidden from the board; its live tasks follow, each with a
    ``task.archived`` whose ``withList`` is true."""

    list_id: Id
    board_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its title, for summaries.")
    archived_at: AwareDatetime


class ListRestored(EventData):
    """``list.restored``: the whole list is back at its place; the tasks archived with it
    follow, each with a ``task.restored`` whose ``withList`` is true."""

    list_id: Id
    board_id: Id
    title: Title
    position: Position
    created_at: AwareDatetime
    version: Version


class TaskArchived(EventData):
    """``task.archived``: the task is hidden from the board (``withList``: because its list
    was archived)."""

    task_id: Id
    board_id: Id
    list_id: Id
    version: Version
    title: Title | None = Field(default=None, description="Its title, for summaries.")
    with_list: bool = False
    archived_at: AwareDatetime


class TaskRestored(TaskCreated):
    """``task.restored``: the whole task, back on the board at ``listId``/``position``
    (``fromListId`` is where it was archived from when it was restored to another list;
    ``withList``: because its list was restored). A subclass of ``TaskCreated`` so that it
    carries every field a new task does; a ``match`` tests it before ``TaskCreated``."""

    from_list_id: Id | None = None
    with_list: bool = False
    comment_count: int = Field(default=0, ge=0, description="The task's comment count.")
    checklist_progress: ChecklistProgress | None = Field(
        default=None, description="Its checklists' progress (they come back with the task)."
    )


# --- activity ---------------------------------------------------------------------------------


class ActivityRecorded(EventData):
    """``activity.recorded``: a board event was written to the board's activity log as entry
    ``seq``; carries what the realtime push needs (services/activity/README.md)."""

    entry_id: Id = Field(description="The activity entry's id (the recorded event's id).")
    seq: Annotated[int, Field(ge=1, description="The entry's per-board sequence number.")]
    event_id: Id = Field(description="Id of the recorded event.")
    event_type: Annotated[str, Field(min_length=1, description="Type of the recorded event.")]
    board_id: Id
    actor_id: Id | None = Field(default=None, description="Who caused the recorded event.")
    occurred_at: Annotated[
        str,
        Field(
            pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$",
            description="The recorded event's time, RFC 3339 UTC: the very string the entry "
            "shows as createdAt, so a replayed and a live push carry the same value.",
        ),
    ]
    data: dict[str, Any] = Field(description="The recorded event's data, unchanged.")
    origin_socket_id: str | None = Field(
        default=None, description="The recorded event's originSocketId (no echo)."
    )


# --- notifications ----------------------------------------------------------------------------


class NotificationCreated(EventData):
    """``notification.created``: a user has a new in-app notification (the notification
    service); realtime pushes ``data`` as it is to the user's own Socket.IO room."""

    id: Id = Field(description="The notification's id.")
    user_id: Id = Field(description="Whom it is for.")
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    board_id: Id | None = None
    task_id: Id | None = None
    actor_id: Id | None = Field(default=None, description="Who caused it (null: the clock).")
    created_at: Annotated[str, Field(min_length=1, description="RFC 3339 UTC.")]
    read: bool = False
    data: dict[str, Any] = Field(description="What the sentence needs (titles, names).")


# --- webhooks ---------------------------------------------------------------------------------


class WebhookEndpointDisabled(EventData):
    """``webhook.endpoint_disabled``: a webhook endpoint failed for too long and was disabled
    (the webhook service); the notification service tells ``userId``, who registered it."""

    endpoint_id: Id
    board_id: Id
    user_id: Id = Field(description="Who registered the endpoint (is notified).")
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    failing_since: Annotated[str, Field(min_length=1, description="RFC 3339 UTC.")]


# Routing key (= envelope ``type``) -> schema of ``data``. Adding an event type means adding it
# here, regenerating docs/asyncapi.json (make openapi) and describing it in docs/events.md (a test
# checks).
EVENT_SCHEMAS: dict[str, type[EventData]] = {
    "user.registered": UserRegistered,
    "user.renamed": UserRenamed,
    "board.created": BoardCreated,
    "board.updated": BoardUpdated,
    "board.deleted": BoardDeleted,
    "board.member_added": MemberAdded,
    "board.member_role_changed": MemberRoleChanged,
    "board.member_removed": MemberRemoved,
    "board.label_created": LabelCreated,
    "board.label_updated": LabelUpdated,
    "board.label_deleted": LabelDeleted,
    "labels.imported": LabelsImported,
    "list.created": ListCreated,
    "list.updated": ListUpdated,
    "list.deleted": ListDeleted,
    "task.created": TaskCreated,
    "task.updated": TaskUpdated,
    "task.moved": TaskMoved,
    "task.assigned": TaskAssigned,
    "task.unassigned": TaskUnassigned,
    "task.deleted": TaskDeleted,
    "comment.created": CommentCreated,
    "comment.updated": CommentUpdated,
    "comment.deleted": CommentDeleted,
    "task.checklist_created": ChecklistCreated,
    "task.checklist_updated": ChecklistUpdated,
    "task.checklist_deleted": ChecklistDeleted,
    "task.checklist_item_created": ChecklistItemCreated,
    "task.checklist_item_updated": ChecklistItemUpdated,
    "task.checklist_item_moved": ChecklistItemMoved,
    "task.checklist_item_deleted": ChecklistItemDeleted,
    "board.archived": BoardArchived,
    "board.restored": BoardRestored,
    "list.archived": ListArchived,
    "list.restored": ListRestored,
    "task.archived": TaskArchived,
    "task.restored": TaskRestored,
    "activity.recorded": ActivityRecorded,
    "notification.created": NotificationCreated,
    "webhook.endpoint_disabled": WebhookEndpointDisabled,
}

# Who produces each event type, for the AsyncAPI document.
PRODUCERS: dict[str, str] = {
    event_type: {
        "user": "auth",
        "board": "board",
        "list": "board",
        "labels": "task",
        "task": "task",
        "comment": "task",
        "activity": "activity",
        "notification": "notification",
        "webhook": "webhook",
    }[event_type.split(".", 1)[0]]
    for event_type in EVENT_SCHEMAS
}
