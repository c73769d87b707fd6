"""Use cases of boards and members, over the small interfaces of :mod:`hintro_board.ports`.

Every write reads the board, authorizes with the shared capability table, applies the domain
rule, and writes with a compare-and-set on ``version`` whose document also carries the event
(the outbox); a lost race re-reads and retries, or is 412 when the client sent ``If-Match``.
After the write the board's cache generation is bumped before the response goes out, and the
relay is asked to publish the event right away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hintro_board.cache import board_etag, encode_entry
from hintro_board.domain import (
    AlreadyMember,
    Board,
    Contention,
    Member,
    NotAMember,
    NotArchived,
    OwnerCannotLeave,
    OwnerIsFixed,
    Profile,
    StaleVersion,
    UnknownUser,
    check_grantable,
    is_valid_user_id,
    new_id,
    normalise_email,
    now,
    transferred,
)
from hintro_board.ports import Boards, Cache, Lists, Users
from hintro_board.schemas import board_with_lists_json
from hintro_shared import jsonutil
from hintro_shared.authz import Action, Role, authorize, require_member
from hintro_shared.caller import Caller as Caller
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.fastpath import Outbox
from hintro_shared.http import gzip_once
from hintro_shared.refusals import IdTaken, NotFound

SOURCE = "hintro/board"
# Compare-and-set attempts before a write gives up with 409 (only under heavy contention).
MAX_WRITE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class BoardRead:
    """``GET /api/boards/{boardId}``: the JSON body, the same gzip-compressed, its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def make_event(event_type: str, actor: Caller, board_id: str, data: ev.EventData) -> EventEnvelope:
    """A catalogue event caused by ``actor`` on ``board_id`` (correlation id: the request's)."""
    return new_event(
        event_type,
        source=SOURCE,
        data=data,
        board_id=board_id,
        actor_id=actor.user_id,
        origin_socket_id=actor.socket_id,
    )


class BoardService:
    """Boards and their members."""

    def __init__(
        self, boards: Boards, lists: Lists, users: Users, outbox: Outbox, cache: Cache
    ) -> None:
        self._boards = boards
        self._lists = lists
        self._users = users
        self._outbox = outbox
        self._cache = cache

    async def _written(self, board_id: str) -> None:
        await self._cache.invalidate(board_id)
        self._outbox.written(board_id)

    async def _board_for(self, actor: Caller, board_id: str, action: Action) -> Board:
        board = await self._boards.get(board_id)
        authorize(None if board is None else board.role_of(actor.user_id), action)
        assert board is not None  # authorize raised 404 otherwise
        return board

    async def _write(
        self,
        actor: Caller,
        board_id: str,
        action: Action,
        attempt: Callable[[Board], Awaitable[bool]],
        expected_version: int | None = None,
    ) -> Board:
        """Read, authorize and try ``attempt`` until its compare-and-set lands."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            board = await self._board_for(actor, board_id, action)
            if expected_version is not None and board.version != expected_version:
                raise StaleVersion()
            if await attempt(board):
                await self._written(board_id)
                return board
            if expected_version is not None:
                raise StaleVersion()
        raise Contention()

    # --- boards ------------------------------------------------------------------------------

    async def given_board(self, actor: Caller, board_id: str) -> Board | None:
        """Create-if-absent: the board a create naming ``board_id`` made before (the caller
        owns it), ``None`` when there is none; ``IdTaken`` when the id is someone else's."""
        board = await self._boards.get(board_id)
        if board is None:
            return None
        if board.owner_id != actor.user_id:
            raise IdTaken("board")
        return board

    async def create_board(
        self, actor: Caller, title: str, description: str, *, board_id: str | None = None
    ) -> Board:
        """A new board whose owner (and only member) is the caller (``board_id``: a
        client-chosen id, see :meth:`given_board`)."""
        created = now()
        board = Board(
            id=board_id or new_id(),
            title=title,
            description=description,
            owner_id=actor.user_id,
            members=(Member(actor.user_id, Role.OWNER),),
            created_at=created,
            updated_at=created,
            version=1,
        )
        data = ev.BoardCreated(
            board_id=board.id,
            title=title,
            description=description,
            owner_id=actor.user_id,
            members=[ev.Member(user_id=actor.user_id, role=Role.OWNER.value)],
            created_at=created,
            version=1,
        )
        await self._boards.insert(board, make_event("board.created", actor, board.id, data))
        self._outbox.written(board.id)
        return board

    async def people(self, boards: Iterable[Board]) -> dict[str, Profile]:
        """The profiles of the members of ``boards`` (one read), for rendering them."""
        ids = {member.user_id for board in boards for member in board.members}
        return await self._users.profiles(ids)

    async def list_boards(
        self,
        actor: Caller,
        limit: int,
        after: tuple[datetime, str] | None,
        *,
        archived: bool = False,
    ) -> tuple[list[Board], tuple[datetime, str] | None]:
        """A page of the caller's boards (the archived ones with ``archived``), newest first,
        and the key the next page starts after (``None`` on the last page)."""
        boards = await self._boards.page_for_member(
            actor.user_id, limit + 1, after, archived=archived
        )
        if len(boards) <= limit:
            return boards, None
        page = boards[:limit]
        return page, (page[-1].created_at, page[-1].id)

    async def board_states(self, board_ids: list[str]) -> list[Board]:
        """The live boards among ``board_ids``, for another service's reconciliation of its
        projection (the internal route: no caller, no membership check)."""
        return await self._boards.get_many(board_ids)

    async def read_board(self, actor: Caller, board_id: str) -> BoardRead:
        """The board with its lists, from the cache when it holds the current generation."""
        lookup = await self._cache.get(board_id)
        if lookup.hit is not None:
            require_member(lookup.hit.roles.get(actor.user_id))
            return BoardRead(lookup.hit.body, lookup.hit.gzipped, lookup.hit.etag)
        board, lists = await asyncio.gather(
            self._boards.get(board_id), self._lists.of_board(board_id)
        )
        if board is None:
            raise NotFound("board")
        people = await self.people([board])
        body = jsonutil.dumps_bytes(board_with_lists_json(board, lists, people))
        gzipped = gzip_once(body)
        roles = {m.user_id: m.role.value for m in board.members}
        # Stored under the generation seen before the reads: a write that landed meanwhile
        # has bumped it, so this body can never be served after that write.
        entry = encode_entry(roles, board.version, body, gzipped)
        await self._cache.put(board_id, lookup.generation, entry)
        require_member(board.role_of(actor.user_id))
        return BoardRead(body, gzipped, board_etag(board.version, body))

    async def update_board(
        self,
        actor: Caller,
        board_id: str,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> Board:
        """Change title and/or description (editors and the owner)."""
        updated_at = now()

        async def attempt(board: Board) -> bool:
            data = ev.BoardUpdated(
                board_id=board_id, version=board.version + 1, updated_at=updated_at, **changes
            )
            event = make_event("board.updated", actor, board_id, data)
            return await self._boards.update_fields(
                board_id, board.version, changes, updated_at, event
            )

        board = await self._write(actor, board_id, Action.EDIT_BOARD, attempt, expected_version)
        return Board(
            id=board.id,
            title=changes.get("title", board.title),
            description=changes.get("description", board.description),
            owner_id=board.owner_id,
            members=board.members,
            created_at=board.created_at,
            updated_at=updated_at,
            version=board.version + 1,
            labels=board.labels,
            archived_at=board.archived_at,
        )

    async def delete_board(self, actor: Caller, board_id: str) -> None:
        """Delete an archived board for good (owner only); its lists go now, tasks and
        activity on the event."""

        async def attempt(board: Board) -> bool:
            if board.archived_at is None:
                raise NotArchived("board")
            data = ev.BoardDeleted(board_id=board_id, version=board.version + 1, title=board.title)
            event = make_event("board.deleted", actor, board_id, data)
            return await self._boards.tombstone(board_id, board.version, event)

        await self._write(actor, board_id, Action.DELETE_BOARD, attempt)
        # The board.deleted consumer does this too, should this process die right here.
        await self._lists.delete_of_board(board_id)

    async def archive_board(self, actor: Caller, board_id: str) -> Board:
        """Hide the board from its members' board lists (owner only); everything in it stays.
        Archiving an archived board changes nothing."""
        at = now()

        async def attempt(board: Board) -> bool:
            if board.archived_at is not None:
                return True
            data = ev.BoardArchived(
                board_id=board_id, version=board.version + 1, title=board.title, archived_at=at
            )
            event = make_event("board.archived", actor, board_id, data)
            return await self._boards.set_archived(board_id, board.version, at, at, event)

        board = await self._write(actor, board_id, Action.DELETE_BOARD, attempt)
        if board.archived_at is not None:
            return board
        return replace(board, archived_at=at, updated_at=at, version=board.version + 1)

    async def restore_board(self, actor: Caller, board_id: str) -> Board:
        """Put an archived board back in its members' board lists (owner only)."""
        at = now()

        async def attempt(board: Board) -> bool:
            if board.archived_at is None:
                return True
            data = ev.BoardRestored(board_id=board_id, version=board.version + 1, title=board.title)
            event = make_event("board.restored", actor, board_id, data)
            return await self._boards.set_archived(board_id, board.version, None, at, event)

        board = await self._write(actor, board_id, Action.DELETE_BOARD, attempt)
        if board.archived_at is None:
            return board
        return replace(board, archived_at=None, updated_at=at, version=board.version + 1)

    # --- members -----------------------------------------------------------------------------

    async def _resolve_user(self, user_id: str | None, email: str | None) -> str:
        if email is not None:
            found = await self._users.id_by_email(normalise_email(email))
            if found is None:
                raise UnknownUser()
            return found
        assert user_id is not None
        if not is_valid_user_id(user_id) or not await self._users.exists(user_id):
            raise UnknownUser()
        return user_id

    async def add_member(
        self, actor: Caller, board_id: str, user_id: str | None, email: str | None, role: Role
    ) -> Member:
        """Add a registered user as editor or viewer (owner only)."""
        check_grantable(role)
        # Authorize before resolving, so non-owners learn nothing about who is registered.
        board = await self._board_for(actor, board_id, Action.MANAGE_MEMBERS)
        if user_id is not None and board.role_of(user_id) is not None:
            raise AlreadyMember(user_id)  # a member needs no lookup (the owner, for one)
        target = await self._resolve_user(user_id, email)
        updated_at = now()

        async def attempt(board: Board) -> bool:
            if board.role_of(target) is not None:
                raise AlreadyMember(target)
            data = ev.MemberAdded(
                board_id=board_id, user_id=target, role=role.value, version=board.version + 1
            )
            event = make_event("board.member_added", actor, board_id, data)
            return await self._boards.add_member(
                board_id, board.version, target, role, updated_at, event
            )

        await self._write(actor, board_id, Action.MANAGE_MEMBERS, attempt)
        return Member(target, role)

    async def change_member_role(
        self, actor: Caller, board_id: str, user_id: str, role: Role
    ) -> Member:
        """Make a member an editor or a viewer (owner only; the owner's role is fixed)."""
        check_grantable(role)
        updated_at = now()

        async def attempt(board: Board) -> bool:
            previous = board.role_of(user_id)
            if previous is None:
                raise NotAMember(user_id)
            if previous is Role.OWNER:
                raise OwnerIsFixed()
            if previous is role:
                return True  # nothing changes: no new version, no event
            data = ev.MemberRoleChanged(
                board_id=board_id,
                user_id=user_id,
                role=role.value,
                previous_role=previous.value,
                version=board.version + 1,
            )
            event = make_event("board.member_role_changed", actor, board_id, data)
            return await self._boards.change_role(
                board_id, board.version, user_id, role, updated_at, event
            )

        await self._write(actor, board_id, Action.MANAGE_MEMBERS, attempt)
        return Member(user_id, role)

    async def remove_member(self, actor: Caller, board_id: str, user_id: str) -> None:
        """Remove a member (owner), or leave (any member removing themselves); the owner
        cannot be removed."""
        # Leaving needs only membership; removing someone else needs the owner's capability.
        action = Action.READ if user_id == actor.user_id else Action.MANAGE_MEMBERS
        updated_at = now()

        async def attempt(board: Board) -> bool:
            role = board.role_of(user_id)
            if role is None:
                raise NotAMember(user_id)
            if role is Role.OWNER:
                raise OwnerCannotLeave() if user_id == actor.user_id else OwnerIsFixed()
            data = ev.MemberRemoved(
                board_id=board_id, user_id=user_id, role=role.value, version=board.version + 1
            )
            event = make_event("board.member_removed", actor, board_id, data)
            return await self._boards.remove_member(
                board_id, board.version, user_id, updated_at, event
            )

        await self._write(actor, board_id, action, attempt)

    async def transfer_ownership(self, actor: Caller, board_id: str, user_id: str) -> Board:
        """Make another member the owner (owner only); the old owner becomes an editor.

        Published as two ``board.member_role_changed`` events of one write (the new owner's at
        version + 1, the old owner's at version + 2), which every consumer of roles already
        applies; a board's ``ownerId`` is the member whose role is ``owner``."""
        updated_at = now()

        async def attempt(board: Board) -> bool:
            transferred(board, user_id)  # refuses the owner themselves and non-members
            previous = board.role_of(user_id)
            assert previous is not None  # transferred() refused non-members
            promoted = ev.MemberRoleChanged(
                board_id=board_id,
                user_id=user_id,
                role=Role.OWNER.value,
                previous_role=previous.value,
                version=board.version + 1,
            )
            demoted = ev.MemberRoleChanged(
                board_id=board_id,
                user_id=board.owner_id,
                role=Role.EDITOR.value,
                previous_role=Role.OWNER.value,
                version=board.version + 2,
            )
            events = (
                make_event("board.member_role_changed", actor, board_id, promoted),
                make_event("board.member_role_changed", actor, board_id, demoted),
            )
            return await self._boards.transfer_owner(
                board_id, board.version, board.owner_id, user_id, updated_at, events
            )

        board = await self._write(actor, board_id, Action.MANAGE_MEMBERS, attempt)
        return Board(
            id=board.id,
            title=board.title,
            description=board.description,
            owner_id=user_id,
            members=transferred(board, user_id),
            created_at=board.created_at,
            updated_at=updated_at,
            version=board.version + 2,
            labels=board.labels,
            archived_at=board.archived_at,
        )


class PeopleService:
    """Who is who: profiles for clients, and the users projection kept current from auth's
    events (a changed name reaches every cached board its user is a member of)."""

    def __init__(self, boards: Boards, users: Users, cache: Cache) -> None:
        self._boards = boards
        self._users = users
        self._cache = cache

    async def profiles(self, actor: Caller, user_ids: list[str]) -> list[Profile]:
        """The profiles of those of ``user_ids`` who share a board with the caller, or are the
        caller, in the order asked; anyone else is left out (whether they exist or not)."""
        visible = await self._boards.co_members(actor.user_id)
        visible.add(actor.user_id)
        wanted = [uid for uid in user_ids if uid in visible]
        found = await self._users.profiles(wanted)
        return [found[uid] for uid in wanted if uid in found]

    async def known(self, user_ids: list[str]) -> dict[str, Profile]:
        """The profiles held for ``user_ids`` (for rendering members), by id."""
        return await self._users.profiles(user_ids)

    async def by_email(self, email: str) -> Profile:
        """The registered user with this address (any case), to invite them."""
        profile = await self._users.by_email(normalise_email(email))
        if profile is None:
            raise UnknownUser()
        return profile

    async def user_registered(self, user_id: str, email: str, name: str, at_ms: int) -> None:
        """Record a new user; boards already naming them (created in the moment before this
        event) are re-rendered with the name."""
        await self._users.upsert(user_id, normalise_email(email), name, at_ms)
        await self._refresh_boards_of(user_id)

    async def user_renamed(self, user_id: str, name: str, at_ms: int) -> None:
        """Take a new name (unless a newer one is held) and drop the cached boards showing the
        old one. The cache is invalidated after the write, so no reader can cache the old name
        under the new generation."""
        if await self._users.rename(user_id, name, at_ms):
            await self._refresh_boards_of(user_id)

    async def _refresh_boards_of(self, user_id: str) -> None:
        for board_id in await self._boards.ids_for_member(user_id):
            await self._cache.invalidate(board_id)
