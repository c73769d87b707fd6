"""Who may do what on a board: one capability table (role x action) that the board and task
services both use, so a rule is written once.

Non-members get 404 (they may not learn the board exists); members without the capability get
403.
"""

from __future__ import annotations

from enum import StrEnum

from hintro_shared.refusals import Forbidden, NotFound


class Role(StrEnum):
    """A member's role on a board."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class Action(StrEnum):
    """Everything a caller can do to a board and what it contains."""

    READ = "read"  # board, lists, tasks, members, activity
    EDIT_BOARD = "edit_board"  # title, description
    DELETE_BOARD = "delete_board"
    MANAGE_MEMBERS = "manage_members"  # add, change role, remove others
    EDIT_LISTS = "edit_lists"
    EDIT_TASKS = "edit_tasks"  # create, update, move, assign, delete
    COMMENT = "comment"  # write comments on tasks, edit and delete one's own
    MODERATE_COMMENTS = "moderate_comments"  # delete anyone's comment
    MANAGE_WEBHOOKS = "manage_webhooks"  # register, change, read the log of webhook endpoints


CAPABILITIES: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.EDITOR: frozenset(
        {Action.READ, Action.EDIT_BOARD, Action.EDIT_LISTS, Action.EDIT_TASKS, Action.COMMENT}
    ),
    Role.VIEWER: frozenset({Action.READ}),
}


def can(role: Role | str | None, action: Action) -> bool:
    """Whether a caller with ``role`` (``None`` = not a member) may perform ``action``."""
    if role is None:
        return False
    return action in CAPABILITIES.get(Role(role), frozenset())


def authorize(role: Role | str | None, action: Action, *, what: str = "board") -> Role:
    """Return the caller's role if allowed; :class:`NotFound` for non-members (404) and
    :class:`Forbidden` (403) otherwise."""
    if role is None:
        raise NotFound(what)
    if not can(role, action):
        raise Forbidden()
    return Role(role)


def require_member(role: Role | str | None, *, what: str = "board") -> Role:
    """Shorthand for reads: members pass, everyone else gets 404."""
    return authorize(role, Action.READ, what=what)


__all__ = ["CAPABILITIES", "Action", "Role", "authorize", "can", "require_member"]
