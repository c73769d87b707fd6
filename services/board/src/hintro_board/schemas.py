"""HTTP bodies of the board service: pydantic request models (camelCase, unknown fields
refused), response models for the OpenAPI document, and the renderers that build response
JSON straight from domain objects (the hot read path skips pydantic)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from hintro_board.domain import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    Board,
    BoardList,
    Label,
    Member,
    Profile,
    is_valid_user_id,
)
from hintro_shared.ids import GIVEN_ID_PATTERN
from hintro_shared.labels import LABEL_COLORS, LABEL_NAME_MAX, LabelColor
from hintro_shared.pagination import PageQuery
from hintro_shared.people import badge

# GET /api/users?ids=: how many ids one request may name.
MAX_PROFILE_IDS = 100

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)]
Id = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
LabelName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_NAME_MAX)
]
GrantableRole = Literal["editor", "viewer"]
# A create may name the new resource's id (create-if-absent, docs/api.md "Given ids").
GivenId = Annotated[str, Field(pattern=GIVEN_ID_PATTERN)]


class _Request(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=False, validate_by_alias=True, extra="forbid"
    )


class _Response(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)


def _at_least_one(model: BaseModel) -> None:
    if not model.model_fields_set:
        raise ValueError("give at least one field to change")


class BoardCreate(_Request):
    """``POST /api/boards``."""

    id: GivenId | None = None
    title: Title
    description: Description = ""


class BoardStatesQuery(_Request):
    """``POST /internal/board-states``: the boards another service's projection holds."""

    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=500)


class BoardPatch(_Request):
    """``PATCH /api/boards/{boardId}``: the fields to change (at least one)."""

    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> BoardPatch:
        _at_least_one(self)
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        if "description" in self.model_fields_set and self.description is None:
            raise ValueError("description cannot be null (use an empty string)")
        return self


class MemberAdd(_Request):
    """``POST /api/boards/{boardId}/members``: exactly one of ``userId`` and ``email``.

    ``role`` defaults to ``editor``; ``owner`` cannot be granted (the owner is fixed at
    creation), so it fails validation."""

    user_id: Id | None = None
    email: Email | None = None
    role: GrantableRole = "editor"

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberAdd:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of userId and email")
        return self


class MemberPatch(_Request):
    """``PATCH /api/boards/{boardId}/members/{userId}``."""

    role: GrantableRole


class TransferRequest(_Request):
    """``POST /api/boards/{boardId}/transfer``: the member who becomes the owner."""

    user_id: Id


class UsersQuery(BaseModel):
    """``GET /api/users``: exactly one of ``ids`` (comma-separated, at most 100) and
    ``email``."""

    model_config = ConfigDict(extra="forbid")

    ids: str | None = Field(
        default=None,
        max_length=MAX_PROFILE_IDS * 101,
        description=f"Comma-separated user ids, at most {MAX_PROFILE_IDS}.",
    )
    email: Email | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> UsersQuery:
        if (self.ids is None) == (self.email is None):
            raise ValueError("give exactly one of ids and email")
        if self.ids is not None:
            wanted = self.id_list()
            if not wanted:
                raise ValueError("ids names no user id")
            if len(wanted) > MAX_PROFILE_IDS:
                raise ValueError(f"at most {MAX_PROFILE_IDS} ids")
            if not all(is_valid_user_id(uid) for uid in wanted):
                raise ValueError("ids must be user ids separated by commas")
        return self

    def id_list(self) -> list[str]:
        """The distinct ids asked for, in the order given."""
        parts = (part.strip() for part in (self.ids or "").split(","))
        return list(dict.fromkeys(part for part in parts if part))


class ListCreate(_Request):
    """``POST /api/boards/{boardId}/lists``: appended at the end when no anchor is named;
    with both anchors the list goes right after ``afterId`` (``beforeId`` must follow it)."""

    id: GivenId | None = None
    title: Title
    after_id: Id | None = None
    before_id: Id | None = None


class ListPatch(_Request):
    """``PATCH /api/lists/{listId}``: rename and/or move (name an anchor to move)."""

    title: Title | None = None
    after_id: Id | None = None
    before_id: Id | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ListPatch:
        _at_least_one(self)
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self


_ARCHIVED_QUERY = "Only the archived ones (hidden from the normal listing)."


class BoardPageQuery(PageQuery):
    """``GET /api/boards?limit=&cursor=&archived=``."""

    archived: bool = Field(default=False, description=_ARCHIVED_QUERY)


class ListsQuery(BaseModel):
    """``GET /api/boards/{boardId}/lists?archived=``."""

    model_config = ConfigDict(extra="forbid")

    archived: bool = Field(
        default=False, description="The archived lists instead, the latest archived first."
    )


class MemberOut(_Response):
    """A member of a board, with what a client needs to show them. ``name`` and ``email`` are
    empty for a user the board service has not heard of yet (moments after registering)."""

    user_id: str
    role: Literal["owner", "editor", "viewer"]
    name: str
    email: str
    initials: str = Field(description="Up to two upper-case letters from the name.")
    color: str = Field(description="A hex colour derived from the user id (12-colour palette).")


class UserProfileOut(_Response):
    """A user's public profile."""

    id: str
    name: str
    initials: str
    color: str


class UserProfiles(_Response):
    """``GET /api/users?ids=``: the profiles of the asked-for users who share a board with the
    caller (and the caller); the others are simply absent."""

    items: list[UserProfileOut]


class UserSummary(_Response):
    """``GET /api/users?email=``: a registered user, to invite them to a board."""

    id: str
    email: str
    name: str


class LabelCreate(_Request):
    """``POST /api/boards/{boardId}/labels``."""

    id: GivenId | None = None
    name: LabelName
    color: LabelColor


class LabelPatch(_Request):
    """``PATCH /api/boards/{boardId}/labels/{labelId}``: rename and/or recolour (at least one;
    neither may be ``null``)."""

    name: LabelName | None = None
    color: LabelColor | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> LabelPatch:
        _at_least_one(self)
        for field in ("name", "color"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class LabelOut(_Response):
    """A label of a board. ``color`` names a palette colour; ``background`` and ``text`` are
    that colour and the text colour that reads on it (4.5:1)."""

    id: str
    name: str
    color: LabelColor
    background: str = Field(description="The palette colour as hex, e.g. #4BCE97.")
    text: str = Field(description="The text colour to use on it, #000000 or #FFFFFF.")


class BoardOut(_Response):
    """A board; ``labels`` in the order they were made."""

    id: str
    title: str
    description: str
    owner_id: str
    members: list[MemberOut]
    labels: list[LabelOut]
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None = Field(
        description="When the board was archived; null while it is not."
    )


class ListOut(_Response):
    """A list of a board; ``position`` is an opaque string that sorts lexicographically."""

    id: str
    board_id: str
    title: str
    position: str
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None = Field(
        description="When the list was archived; null while it is not."
    )


class BoardWithListsOut(BoardOut):
    """A board with its lists in order."""

    lists: list[ListOut]


class BoardPage(_Response):
    """A page of boards; ``next`` is the cursor of the following page (``null`` at the end)."""

    items: list[BoardOut]
    next: str | None


People = Mapping[str, Profile]


def member_json(member: Member, people: People) -> dict[str, Any]:
    """``{userId, role, name, email, initials, color}``."""
    profile = people.get(member.user_id)
    name = profile.name if profile is not None else ""
    return {
        "userId": member.user_id,
        "role": member.role.value,
        "name": name,
        "email": profile.email if profile is not None else "",
        **badge(member.user_id, name),
    }


def profile_json(profile: Profile) -> dict[str, Any]:
    """``{id, name, initials, color}``."""
    return {"id": profile.user_id, "name": profile.name, **badge(profile.user_id, profile.name)}


def summary_json(profile: Profile) -> dict[str, Any]:
    """``{id, email, name}`` (the e-mail lookup)."""
    return {"id": profile.user_id, "email": profile.email, "name": profile.name}


def board_json(board: Board, people: People) -> dict[str, Any]:
    """The board as docs/api.md ("Boards") describes it, its members with their names."""
    return {
        "id": board.id,
        "title": board.title,
        "description": board.description,
        "ownerId": board.owner_id,
        "members": [member_json(m, people) for m in board.members],
        "labels": [label_json(label) for label in board.labels],
        "createdAt": board.created_at,
        "updatedAt": board.updated_at,
        "version": board.version,
        "archivedAt": board.archived_at,
    }


def label_json(label: Label) -> dict[str, Any]:
    """The label as docs/api.md ("Labels") describes it."""
    background, text = LABEL_COLORS.get(label.color, ("#44546F", "#FFFFFF"))
    return {
        "id": label.id,
        "name": label.name,
        "color": label.color,
        "background": background,
        "text": text,
    }


def list_json(board_list: BoardList) -> dict[str, Any]:
    """The list as docs/api.md ("Lists") describes it."""
    return {
        "id": board_list.id,
        "boardId": board_list.board_id,
        "title": board_list.title,
        "position": board_list.position,
        "createdAt": board_list.created_at,
        "updatedAt": board_list.updated_at,
        "version": board_list.version,
        "archivedAt": board_list.archived_at,
    }


def board_with_lists_json(
    board: Board, lists: Sequence[BoardList], people: People
) -> dict[str, Any]:
    """``GET /api/boards/{boardId}``: the board and its lists in order."""
    return {**board_json(board, people), "lists": [list_json(item) for item in lists]}
