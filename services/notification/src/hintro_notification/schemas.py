"""Query, request and response schemas of the notification routes (camelCase on the wire;
unknown fields and query parameters refused). Responses are shaped by
:func:`hintro_notification.service.notification_json` and :func:`page_json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hintro_notification.domain import DEFAULT_LIMIT, MAX_LIMIT, Page
from hintro_notification.service import notification_json
from hintro_shared.pagination import encode_cursor

_QUERY = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)
_REQUEST = ConfigDict(
    alias_generator=to_camel, validate_by_name=False, validate_by_alias=True, extra="forbid"
)
_RESPONSE = ConfigDict(alias_generator=to_camel, populate_by_name=True)

EmailChoice = Literal["off", "immediate", "daily"]
KindOut = Literal[
    "task.assigned",
    "task.moved",
    "task.commented",
    "comment.mention",
    "task.due_soon",
    "board.member_added",
    "board.member_removed",
    "webhook.endpoint_disabled",
]


class NotificationsQuery(BaseModel):
    """``?limit=&cursor=``: the caller's notifications newest first."""

    model_config = _QUERY

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None, max_length=512, description="The previous page's `next` (opaque)."
    )


class NotificationOut(BaseModel):
    """One notification: enough to render a sentence and a link."""

    model_config = _RESPONSE

    id: str
    user_id: str
    kind: KindOut = Field(description="What it is about; the sentence depends on it.")
    board_id: str | None
    task_id: str | None
    actor_id: str | None = Field(description="Who caused it; null for a due-soon reminder.")
    created_at: str = Field(description="When it happened (RFC 3339 UTC).")
    read: bool
    data: dict[str, Any] = Field(
        description="Names known when it was made: `actorName`, `boardTitle`, `taskTitle`, "
        "`toListTitle` (moves), `excerpt`, `commentId` (comments), `dueDate` (due soon), "
        "`url`, `endpointId` (a webhook disabled)."
    )


class NotificationPage(BaseModel):
    """A page of the caller's notifications and how many are unread in all."""

    model_config = _RESPONSE

    items: list[NotificationOut]
    next: str | None = Field(description="The `cursor` of the next (older) page; null at the end.")
    unread_count: int = Field(ge=0)


class ReadAllOut(BaseModel):
    """How many notifications were marked read."""

    model_config = _RESPONSE

    marked: int = Field(ge=0)


class EmailSettings(BaseModel):
    """``PUT /api/notifications/settings``."""

    model_config = _REQUEST

    email: EmailChoice = Field(
        description="off: no e-mail; immediate: one e-mail per notification; daily: a digest "
        "of the unread ones once a day."
    )


class EmailSettingsOut(BaseModel):
    """The caller's notification settings."""

    model_config = _RESPONSE

    email: EmailChoice


class WatchOut(BaseModel):
    """Whether the caller watches the task or board."""

    model_config = _RESPONSE

    watching: bool


def page_json(page: Page) -> dict[str, Any]:
    """A page as :class:`NotificationPage` describes it."""
    return {
        "items": [notification_json(n) for n in page.items],
        "next": None
        if page.next is None
        else encode_cursor({"t": page.next[0], "i": page.next[1]}),
        "unreadCount": page.unread_count,
    }
