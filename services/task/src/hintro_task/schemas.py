"""Request and response schemas of the task routes (camelCase on the wire; unknown request
fields are rejected). Responses are documented here and shaped by :func:`task_json`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from hintro_shared.ids import GIVEN_ID_PATTERN
from hintro_shared.pagination import PageQuery
from hintro_task.domain import (
    ASSIGNEES_MAX,
    CHECKLIST_TITLE_MAX,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    ID_MAX,
    ITEM_TEXT_MAX,
    LABELS_MAX,
    TITLE_MAX,
    Checklist,
    ChecklistItem,
    Comment,
    Task,
    is_safe_id,
)
from hintro_task.searching import (
    DUE_CHOICES,
    QUERY_MAX,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_LIMIT,
    TaskFilter,
    query_terms,
    split_values,
)

Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX, pattern=r"^[A-Za-z0-9_-]+$")]
# A create may name the new resource's id (create-if-absent, docs/api.md "Given ids").
GivenId = Annotated[str, StringConstraints(pattern=GIVEN_ID_PATTERN)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
LabelIds = Annotated[list[Id], Field(max_length=LABELS_MAX)]
AssigneeIds = Annotated[list[Id], Field(max_length=ASSIGNEES_MAX)]

_REQUEST = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)
_RESPONSE = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class CreateTaskBody(BaseModel):
    """``POST /api/boards/{boardId}/tasks``; without anchors the task goes to the list's end."""

    model_config = _REQUEST

    id: GivenId | None = None

    list_id: Id
    title: Title
    description: Description = ""
    assignee_ids: AssigneeIds = Field(default_factory=list)
    label_ids: LabelIds = Field(default_factory=list)
    start_date: datetime | None = None
    due_date: datetime | None = None
    due_complete: bool = False
    after_id: Id | None = None
    before_id: Id | None = None


class UpdateTaskBody(BaseModel):
    """``PATCH /api/tasks/{taskId}``: any of the editable fields; ``startDate: null`` and
    ``dueDate: null`` clear them."""

    model_config = _REQUEST

    title: Title | None = None
    description: Description | None = None
    label_ids: LabelIds | None = None
    start_date: datetime | None = None
    due_date: datetime | None = None
    due_complete: bool | None = None

    @model_validator(mode="after")
    def _only_dates_may_be_null(self) -> UpdateTaskBody:
        for name in ("title", "description", "label_ids", "due_complete"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def requested(self) -> dict[str, Any]:
        """The fields the client sent, by their public (camelCase) names."""
        return {
            to_camel(name): getattr(self, name)
            for name in type(self).model_fields
            if name in self.model_fields_set
        }


class MoveTaskBody(BaseModel):
    """``POST /api/tasks/{taskId}/move``: the target list and, optionally, anchors in it."""

    model_config = _REQUEST

    list_id: Id
    after_id: Id | None = None
    before_id: Id | None = None


class ListTasksQuery(PageQuery):
    """``?listId=&limit=&cursor=`` of the task listing, or ``?all=true`` for every task of the
    board in one response (``next`` is then ``null``; not with the paging parameters)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)

    list_id: Id | None = None
    all: bool = Field(
        default=False,
        description="Every task of the board in one response (cached, gzip, ETag); not "
        "together with listId, limit or cursor.",
    )

    # The board filter (docs/api.md, "Filtering a board's tasks"): any of these returns every
    # matching task at once, like all=true.
    q: str | None = Field(
        default=None,
        max_length=QUERY_MAX,
        description="Words that must each start a word of the title or description.",
    )
    label_ids: str | None = Field(
        default=None,
        max_length=4000,
        description="Comma-separated label ids; a task with any of them matches.",
    )
    assignee: str | None = Field(
        default=None,
        max_length=4000,
        description="Comma-separated: user ids, `me` (the caller), `none` (no assignee); any "
        "of them matches.",
    )
    due: str | None = Field(
        default=None,
        max_length=100,
        description="Comma-separated: `overdue`, `week` (due in the next 7 days), `none` (no "
        "due date), `done` (due date marked complete); any of them matches.",
    )
    archived: bool = Field(
        default=False,
        description="The board's archived tasks instead, the latest archived first, in one "
        "response (next is null); not together with all, listId, limit or cursor. With a "
        "filter: the archived tasks that pass it, in board order.",
    )

    @model_validator(mode="after")
    def _all_alone(self) -> ListTasksQuery:
        if self.all and self.model_fields_set & {"list_id", "limit", "cursor"}:
            raise ValueError("all=true takes no listId, limit or cursor")
        if self.filtered and self.model_fields_set & {"list_id", "limit", "cursor"}:
            raise ValueError("a filter takes no listId, limit or cursor: it returns every match")
        if self.archived and self.model_fields_set & {"all", "list_id", "limit", "cursor"}:
            raise ValueError("archived=true takes no all, listId, limit or cursor")
        return self

    @field_validator("label_ids", "assignee")
    @classmethod
    def _ids(cls, value: str | None) -> str | None:
        for part in split_values(value):
            if not is_safe_id(part):
                raise ValueError(f"{part!r} is not an id")
        return value

    @field_validator("due")
    @classmethod
    def _due(cls, value: str | None) -> str | None:
        for part in split_values(value):
            if part not in DUE_CHOICES:
                raise ValueError(f"due must be among {', '.join(DUE_CHOICES)}")
        return value

    @property
    def filtered(self) -> bool:
        """Whether any filter parameter was given (``archived`` alone lists the archived tasks;
        with a filter it filters them)."""
        return bool(self.model_fields_set & {"q", "label_ids", "assignee", "due"})

    def task_filter(self) -> TaskFilter:
        """The filter these parameters describe."""
        return TaskFilter(
            terms=query_terms(self.q or ""),
            label_ids=frozenset(split_values(self.label_ids)),
            assignees=frozenset(split_values(self.assignee)),
            due=frozenset(split_values(self.due)),
            archived=self.archived,
        )


class ChecklistProgressOut(BaseModel):
    """How many of a task's checklist items are done, of how many."""

    model_config = _RESPONSE

    done: int
    total: int


class RestoreTaskBody(BaseModel):
    """``POST /api/tasks/{taskId}/restore`` (body optional): ``listId`` restores the task at
    the end of that list instead of at its own place in its own list."""

    model_config = _REQUEST

    list_id: Id | None = None


class TaskOut(BaseModel):
    """A task as the API returns it."""

    model_config = _RESPONSE

    id: str
    board_id: str
    list_id: str
    title: str
    description: str
    position: str
    assignee_ids: list[str]
    label_ids: list[str] = Field(description="Ids of labels of the task's board.")
    start_date: datetime | None
    due_date: datetime | None
    due_complete: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    checklist_progress: ChecklistProgressOut = Field(
        description="Done and total items over the task's checklists (0/0 without any)."
    )
    archived_at: datetime | None = Field(
        default=None, description="When the task was archived; null while it is not."
    )
    archived_with_list: bool = Field(
        default=False,
        description="Archived because its list was: restoring the list brings it back.",
    )
    comment_count: int = Field(description="How many comments the task has.")


class TaskPage(BaseModel):
    """One page of tasks; ``next`` is the cursor of the following page (``None`` at the end)."""

    items: list[TaskOut]
    next: str | None


def task_json(task: Task) -> dict[str, Any]:
    """The task as :class:`TaskOut` describes it (the wire shape of every task response)."""
    return {
        "id": task.id,
        "boardId": task.board_id,
        "listId": task.list_id,
        "title": task.title,
        "description": task.description,
        "position": task.position,
        "assigneeIds": list(task.assignee_ids),
        "labelIds": list(task.label_ids),
        "startDate": task.start_date,
        "dueDate": task.due_date,
        "dueComplete": task.due_complete,
        "createdBy": task.created_by,
        "createdAt": task.created_at,
        "updatedAt": task.updated_at,
        "version": task.version,
        "archivedAt": task.archived_at,
        "archivedWithList": task.archived_with_list,
        "checklistProgress": {
            "done": task.checklist_progress.done,
            "total": task.checklist_progress.total,
        },
        "commentCount": task.comment_count,
    }


# --- checklists -------------------------------------------------------------------------------

ChecklistTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CHECKLIST_TITLE_MAX)
]
ItemText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ITEM_TEXT_MAX)
]


class CreateChecklistBody(BaseModel):
    """``POST /api/tasks/{taskId}/checklists``; without anchors the checklist goes last."""

    model_config = _REQUEST

    id: GivenId | None = None

    title: ChecklistTitle
    after_id: Id | None = None
    before_id: Id | None = None


class UpdateChecklistBody(BaseModel):
    """``PATCH /api/tasks/{taskId}/checklists/{checklistId}``: a new title and/or a new place
    (``afterId``/``beforeId``, checklists of the same task)."""

    model_config = _REQUEST

    title: ChecklistTitle | None = None
    after_id: Id | None = None
    before_id: Id | None = None

    @model_validator(mode="after")
    def _title_not_null(self) -> UpdateChecklistBody:
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title may not be null")
        return self


class CreateItemBody(BaseModel):
    """``POST /api/tasks/{taskId}/checklists/{checklistId}/items``; last unless anchored."""

    model_config = _REQUEST

    id: GivenId | None = None

    text: ItemText
    done: bool = False
    assignee_id: Id | None = None
    due_date: datetime | None = None
    after_id: Id | None = None
    before_id: Id | None = None


class UpdateItemBody(BaseModel):
    """``PATCH .../items/{itemId}``: any of text, done, assigneeId, dueDate (``null`` clears
    the assignee or the date)."""

    model_config = _REQUEST

    text: ItemText | None = None
    done: bool | None = None
    assignee_id: Id | None = None
    due_date: datetime | None = None

    @model_validator(mode="after")
    def _only_assignee_and_date_may_be_null(self) -> UpdateItemBody:
        for name in ("text", "done"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def requested(self) -> dict[str, Any]:
        """The fields the client sent, by their public (camelCase) names."""
        return {
            to_camel(name): getattr(self, name)
            for name in type(self).model_fields
            if name in self.model_fields_set
        }


class MoveItemBody(BaseModel):
    """``POST .../items/{itemId}/move``: a place (anchors) in the same checklist or in another
    checklist of the task (``checklistId``)."""

    model_config = _REQUEST

    checklist_id: Id | None = None
    after_id: Id | None = None
    before_id: Id | None = None


class ChecklistItemOut(BaseModel):
    """A checklist item as the API returns it."""

    model_config = _RESPONSE

    id: str
    text: str
    done: bool
    position: str
    assignee_id: str | None
    due_date: datetime | None


class ChecklistOut(BaseModel):
    """A checklist with its items in order."""

    model_config = _RESPONSE

    id: str
    title: str
    position: str
    items: list[ChecklistItemOut]


class ChecklistsOut(BaseModel):
    """A task's checklists in order, with the task's version (also the ETag) and progress:
    the answer of ``GET /api/tasks/{taskId}/checklists`` and of every checklist write."""

    model_config = _RESPONSE

    task_id: str
    version: int
    checklist_progress: ChecklistProgressOut
    checklists: list[ChecklistOut]


def _item_json(item: ChecklistItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "done": item.done,
        "position": item.position,
        "assigneeId": item.assignee_id,
        "dueDate": item.due_date,
    }


def checklist_json(checklist: Checklist) -> dict[str, Any]:
    """The checklist as :class:`ChecklistOut` describes it."""
    return {
        "id": checklist.id,
        "title": checklist.title,
        "position": checklist.position,
        "items": [_item_json(item) for item in checklist.items],
    }


def checklists_json(task: Task, checklists: tuple[Checklist, ...]) -> dict[str, Any]:
    """The task's checklists as :class:`ChecklistsOut` describes them."""
    return {
        "taskId": task.id,
        "version": task.version,
        "checklistProgress": {
            "done": task.checklist_progress.done,
            "total": task.checklist_progress.total,
        },
        "checklists": [checklist_json(c) for c in checklists],
        "archivedAt": task.archived_at,
        "archivedWithList": task.archived_with_list,
    }


# --- comments -------------------------------------------------------------------------------------

CommentText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_MAX),
    Field(
        description="Markdown, trimmed, 1 to 5,000 characters; mentions are written "
        "@[label](userId) (docs/api.md, Comments)."
    ),
]


class CommentBody(BaseModel):
    """``POST /api/tasks/{taskId}/comments`` and ``PATCH /api/comments/{commentId}``."""

    model_config = _REQUEST

    text: CommentText


class ListCommentsQuery(PageQuery):
    """``?limit=&cursor=`` of a task's comments (newest first)."""


class ImportedIn(BaseModel):
    """Where an imported comment came from (``POST /api/tasks/{taskId}/comments``)."""

    model_config = _REQUEST

    author_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    created_at: datetime


class ImportedOut(BaseModel):
    """Where an imported comment came from: its author's name and its date there."""

    model_config = _RESPONSE

    author_name: str
    created_at: datetime


class CreateCommentBody(BaseModel):
    """``POST /api/tasks/{taskId}/comments``."""

    model_config = _REQUEST

    id: GivenId | None = None
    text: CommentText
    imported: ImportedIn | None = None


class CommentOut(BaseModel):
    """A comment as the API returns it."""

    model_config = _RESPONSE

    id: str
    task_id: str
    board_id: str
    author_id: str
    text: str
    mentions: list[str] = Field(description="The board members the text mentions (user ids).")
    created_at: datetime
    updated_at: datetime = Field(description="Equal to createdAt until the text is edited.")
    version: int = Field(description="1, + 1 on every edit.")
    imported: ImportedOut | None = Field(
        default=None,
        description="Set on a comment brought over by an import: its author and date there "
        "(`authorId` is then the user who imported it).",
    )


class CommentPage(BaseModel):
    """One page of a task's comments, newest first; ``next`` is the following page's cursor."""

    items: list[CommentOut]
    next: str | None


def comment_json(comment: Comment) -> dict[str, Any]:
    """The comment as :class:`CommentOut` describes it."""
    imported = comment.imported
    return {
        "imported": None
        if imported is None
        else {"authorName": imported.author_name, "createdAt": imported.created_at},
        "id": comment.id,
        "taskId": comment.task_id,
        "boardId": comment.board_id,
        "authorId": comment.author_id,
        "text": comment.text,
        "mentions": list(comment.mentions),
        "createdAt": comment.created_at,
        "updatedAt": comment.updated_at,
        "version": comment.version,
    }


# --- search (GET /api/search) ---------------------------------------------------------------


class SearchQuery(BaseModel):
    """``?q=&limit=&cursor=&archived=`` of the cross-board search."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=QUERY_MAX, description="The words to find.")
    limit: int = Field(default=SEARCH_DEFAULT_LIMIT, ge=1, le=SEARCH_MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=512)
    archived: bool = Field(default=False, description="Search archived tasks instead.")


class SearchHit(BaseModel):
    """One search result: a task, or a comment on a task, with where the task is. ``*Marks``
    are ``[start, end)`` character ranges of the words the query matched."""

    model_config = _RESPONSE

    kind: Literal["task", "comment"]
    task_id: str
    comment_id: str | None
    board_id: str
    board_title: str | None = Field(description="Null while the board's title is unknown.")
    list_id: str
    list_title: str | None = Field(description="Null while the list's title is unknown.")
    title: str = Field(description="The task's title.")
    title_marks: list[tuple[int, int]]
    snippet: str = Field(description="Part of the description or comment around a match.")
    snippet_marks: list[tuple[int, int]]
    score: int
    updated_at: datetime


class SearchPage(BaseModel):
    """One page of hits, best first; ``next`` is the cursor of the following page."""

    items: list[SearchHit]
    next: str | None
