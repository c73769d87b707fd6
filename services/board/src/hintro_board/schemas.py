"""HTTP bodies of the board service: pydantic request models (camelCase, unknown fields
refused), response models for the OpenAPI document, and the renderers that build response
JSON straight from domain objects (the hot read path skips pydantic)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from hintro_board.domain import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, Board, BoardList
from hintro_shared.pagination import PageQuery

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)]
Id = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
GrantableRole = Literal["editor", "viewer"]


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

    title: Title
    description: Description = ""


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


class ListCreate(_Request):
    """``POST /api/boards/{boardId}/lists``: appended at the end when no anchor is named;
    with both anchors the list goes right after ``afterId`` (``beforeId`` must follow it)."""

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


class BoardPageQuery(PageQuery):
    """``GET /api/boards?limit=&cursor=``."""


class MemberOut(_Response):
    """A member of a board."""

    user_id: str
    role: Literal["owner", "editor", "viewer"]


class BoardOut(_Response):
    """A board."""

    id: str
    title: str
    description: str
    owner_id: str
    members: list[MemberOut]
    created_at: datetime
    updated_at: datetime
    version: int


class ListOut(_Response):
    """A list of a board; ``position`` is an opaque string that sorts lexicographically."""

    id: str
    board_id: str
    title: str
    position: str
    created_at: datetime
    updated_at: datetime
    version: int


class BoardWithListsOut(BoardOut):
    """A board with its lists in order."""

    lists: list[ListOut]


class BoardPage(_Response):
    """A page of boards; ``next`` is the cursor of the following page (``null`` at the end)."""

    items: list[BoardOut]
    next: str | None


def member_json(user_id: str, role: str) -> dict[str, Any]:
    """``{userId, role}``."""
    return {"userId": user_id, "role": role}


def board_json(board: Board) -> dict[str, Any]:
    """The board as docs/api.md ("Boards") describes it."""
    return {
        "id": board.id,
        "title": board.title,
        "description": board.description,
        "ownerId": board.owner_id,
        "members": [member_json(m.user_id, m.role.value) for m in board.members],
        "createdAt": board.created_at,
        "updatedAt": board.updated_at,
        "version": board.version,
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
    }


def board_with_lists_json(board: Board, lists: Sequence[BoardList]) -> dict[str, Any]:
    """``GET /api/boards/{boardId}``: the board and its lists in order."""
    return {**board_json(board), "lists": [list_json(item) for item in lists]}
