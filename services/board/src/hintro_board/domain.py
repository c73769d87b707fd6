"""The board service's rules and entities: boards, their members, their ordered lists.

Nothing here does I/O. Membership is one role per user, with exactly one owner who can neither
be removed, leave, nor be demoted through the member routes; ownership moves only by a transfer
to another member (the old owner becomes an editor). Lists are ordered by fractional-index
positions computed from the neighbours a client names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hintro_shared.authz import Role
from hintro_shared.ids import is_safe_id
from hintro_shared.ids import new_id as new_id
from hintro_shared.ordering import jittered_key_between
from hintro_shared.refusals import Conflict, NotFound, PreconditionFailed, RuleBroken
from hintro_shared.timeutil import now_millis

MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 10_000
# Roles the member routes may grant; the single owner is fixed when the board is created.
GRANTABLE_ROLES: frozenset[Role] = frozenset({Role.EDITOR, Role.VIEWER})


class AlreadyMember(Conflict):
    """The user is already a member of the board."""

    def __init__(self, user_id: str) -> None:
        super().__init__("The user is already a member of this board.")
        self.user_id = user_id


class NotAMember(NotFound):
    """The user named in the path is not a member of the board."""

    def __init__(self, user_id: str) -> None:
        super().__init__("member")
        self.user_id = user_id


class OwnerIsFixed(Conflict):
    """The owner can be neither removed from the board nor given another role."""

    def __init__(self) -> None:
        super().__init__(
            "The owner cannot be removed or given another role; delete the board instead."
        )


class OwnerCannotLeave(Conflict):
    """The owner asked to leave; ownership has to be transferred first."""

    def __init__(self) -> None:
        super().__init__(
            "The owner cannot leave the board; transfer ownership to another member first "
            "(POST /api/boards/{boardId}/transfer) or delete the board."
        )


class InvalidTransfer(RuleBroken):
    """A transfer named no other member of the board."""

    def __init__(self) -> None:
        super().__init__(
            ("body", "userId"), "not another member of this board", type_="not_a_member"
        )


class UnknownUser(NotFound):
    """No registered user has that id or email."""

    def __init__(self) -> None:
        super().__init__("user")


class InvalidAnchor(RuleBroken):
    """``afterId`` / ``beforeId`` name no list of this board, the list itself, or are reversed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(("body", field), message, type_="invalid_anchor", detail=message)
        self.field = field


class StaleVersion(PreconditionFailed):
    """``If-Match`` named a version the resource no longer has."""


class Contention(Conflict):
    """Concurrent writers kept changing the resource (or taking the computed position) while
    this write retried; nothing was written and the client may retry."""

    def __init__(self) -> None:
        super().__init__("The resource is being changed concurrently; retry.", retry_after=1)


class NotArchived(Conflict):
    """Permanent deletion was asked of something that is not archived."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Only an archived {what} can be deleted permanently; archive it first "
            f"(POST .../archive)."
        )


class IsArchived(Conflict):
    """A change was asked of an archived list; it has to be restored first."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The {what} is archived; restore it before changing it.")


now = now_millis


def is_valid_user_id(user_id: str) -> bool:
    """Whether ``user_id`` may be stored as a member key (``roles.<userId>``)."""
    return is_safe_id(user_id)


def normalise_email(email: str) -> str:
    """Emails are matched case-insensitively (as auth registers them)."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Member:
    """A user's role on a board."""

    user_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Profile:
    """What the board service knows of a user (from ``user.registered``/``user.renamed``)."""

    user_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Label:
    """A label of a board: a name and a palette colour (``hintro_shared.labels``)."""

    id: str
    name: str
    color: str


@dataclass(frozen=True, slots=True)
class Board:
    """A board and its members (the owner first, then in the order they joined), and its
    labels in the order they were made."""

    id: str
    title: str
    description: str
    owner_id: str
    members: tuple[Member, ...]
    created_at: datetime
    updated_at: datetime
    version: int
    labels: tuple[Label, ...] = ()
    archived_at: datetime | None = None

    def role_of(self, user_id: str) -> Role | None:
        """The user's role, ``None`` for a non-member."""
        for member in self.members:
            if member.user_id == user_id:
                return member.role
        return None


@dataclass(frozen=True, slots=True)
class BoardList:
    """A list (column) of a board; ``position`` orders the lists of one board."""

    id: str
    board_id: str
    title: str
    position: str
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None = None


class UnknownLabel(NotFound):
    """The label named in the path is not a label of the board."""

    def __init__(self) -> None:
        super().__init__("label")


class TooManyLabels(RuleBroken):
    """A board has at most ``LABELS_PER_BOARD_MAX`` labels."""

    def __init__(self, limit: int) -> None:
        message = f"a board has at most {limit} labels"
        super().__init__(("body", "name"), message, type_="too_many_labels", detail=message)


def labels_from(stored: Mapping[str, Any]) -> tuple[Label, ...]:
    """Labels in the order they were made, from the stored ``{id: {name, color, n}}`` map
    (``n``: when the label was made, epoch milliseconds, then the id breaks ties)."""
    entries = [(entry.get("n", 0), label_id, entry) for label_id, entry in stored.items()]
    entries.sort(key=lambda item: (item[0], item[1]))
    return tuple(
        Label(id=label_id, name=str(entry["name"]), color=str(entry["color"]))
        for _, label_id, entry in entries
        if isinstance(entry, Mapping)
    )


def members_from(
    owner_id: str, member_ids: Sequence[str], roles: Mapping[str, str]
) -> tuple[Member, ...]:
    """Members in display order from the stored id array and role map (ids without a role are
    skipped: the map is authoritative)."""
    ordered = [owner_id, *(uid for uid in member_ids if uid != owner_id)]
    return tuple(Member(uid, Role(roles[uid])) for uid in ordered if uid in roles)


def transferred(board: Board, new_owner: str) -> tuple[Member, ...]:
    """The members after ownership moves to ``new_owner`` (a member other than the owner): the
    new owner first, the old owner an editor, everyone else unchanged and in order."""
    if new_owner == board.owner_id or board.role_of(new_owner) is None:
        raise InvalidTransfer
    rest = [m for m in board.members if m.user_id not in (new_owner, board.owner_id)]
    return (Member(new_owner, Role.OWNER), Member(board.owner_id, Role.EDITOR), *rest)


def check_grantable(role: Role) -> Role:
    """The member routes may grant editor or viewer only (the owner is fixed)."""
    if role not in GRANTABLE_ROLES:
        raise OwnerIsFixed()
    return role


def position_between(lower: str | None, upper: str | None) -> str:
    """A fresh position strictly between two neighbours (``None`` = open end), jittered so that
    concurrent writers aiming at the same gap pick distinct keys."""
    return jittered_key_between(lower, upper)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a client asked a list to go: after one list and/or before another."""

    after_id: str | None = None
    before_id: str | None = None

    @property
    def anchored(self) -> bool:
        """Whether any anchor was named."""
        return self.after_id is not None or self.before_id is not None

    def check_not_self(self, list_id: str) -> None:
        """A list cannot be placed relative to itself."""
        if self.after_id == list_id:
            raise InvalidAnchor("afterId", "a list cannot be placed after itself")
        if self.before_id == list_id:
            raise InvalidAnchor("beforeId", "a list cannot be placed before itself")
