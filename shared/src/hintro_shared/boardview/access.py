"""Who may do what on a board, decided from the projection first and from the board service
when the projection says no.

The projection can only lag behind the board service, never lead it. A grant it gives is used
at once (the common, fast case); a removal reaches it with the ``member_removed`` event within
milliseconds, so access is cut without asking anyone. Only a *denial* or a *miss* (not a member,
too low a role, an unknown list, a would-be assignee it does not know) may be stale, and only
then is the board service asked, with the caller's own token: its answer is current and
authoritative, so it can grant what the projection has not learnt yet (read-your-writes across
services) but it never widens anything beyond what the board service says right now. The answer
is also written into the projection (version-guarded), and asked at most once per request.

A grant is trusted for ``PROJECTION_TRUST_SECONDS`` after the board service last answered for
the board in this process (:class:`Confirming`); past that, the board service decides once and
its answer refreshes the projection. An event that never arrives (dead-lettered, lost) can
therefore leave access wider than the board service says for at most that long, while the
board service answers (when it cannot, the projection's grant stands: availability first).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hintro_shared.authz import Action, Role, authorize, can
from hintro_shared.boardview.model import BoardSnapshot, LabelRef, ListRef
from hintro_shared.errors import DependencyUnavailable


class Requester(Protocol):
    """The authenticated caller of one request, as access decisions need it."""

    @property
    def user_id(self) -> str:
        """The caller's user id."""
        ...

    @property
    def authorization(self) -> str:
        """The caller's ``Authorization`` header, forwarded to the board service."""
        ...

    @property
    def request_id(self) -> str | None:
        """The request id, forwarded for tracing."""
        ...


class ProjectionReader(Protocol):
    """What access decisions read from the projection (and how a fresh answer is kept)."""

    async def role_of(self, board_id: str, user_id: str) -> Role | None:
        """The member's role on a live board, or ``None``."""
        ...

    async def get_list(self, list_id: str) -> ListRef | None:
        """The list (possibly a deletion tombstone), or ``None`` if unknown."""
        ...

    async def board_lists(self, board_id: str) -> list[ListRef]:
        """The board's live lists in order."""
        ...

    async def apply_snapshot(self, snapshot: BoardSnapshot) -> None:
        """Take in a board service answer where it is newer."""
        ...

    async def get_labels(self, label_ids: list[str]) -> list[LabelRef]:
        """The labels of ``label_ids`` as last learnt (tombstones included)."""
        ...


class BoardDirectory(Protocol):
    """The board service, asked on the caller's behalf."""

    async def fetch_board(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> BoardSnapshot | None:
        """The board as the caller may see it now, or ``None`` (404)."""
        ...


@runtime_checkable
class Confirming(Protocol):
    """A board directory that knows when it last confirmed a board (``BoardClient``): a grant
    from the projection older than its bound is checked with the board service again."""

    def confirmed(self, board_id: str) -> bool:
        """Whether the projection's grants on the board may be used without asking."""
        ...


class BoardAccess:
    """One caller's access to one board, for the span of one request."""

    def __init__(
        self,
        board_id: str,
        caller: Requester,
        projection: ProjectionReader,
        directory: BoardDirectory,
    ) -> None:
        self.board_id = board_id
        self._caller = caller
        self._projection = projection
        self._directory = directory
        self._snapshot: BoardSnapshot | None = None
        self._asked = False

    async def current(self) -> BoardSnapshot | None:
        """The board service's answer (asked once per request); ``None`` means 404."""
        if not self._asked:
            self._snapshot = await self._directory.fetch_board(
                self.board_id,
                authorization=self._caller.authorization,
                request_id=self._caller.request_id,
            )
            self._asked = True
            if self._snapshot is not None:
                await self._projection.apply_snapshot(self._snapshot)
        return self._snapshot

    async def authorize(self, action: Action, *, what: str = "board") -> Role:
        """The caller's role if it allows ``action``; 404 for non-members, 403 otherwise."""
        role = await self._projection.role_of(self.board_id, self._caller.user_id)
        if can(role, action):
            assert role is not None
            if self._trusted():
                return role
            try:
                snapshot = await self.current()
            except DependencyUnavailable:
                return role  # the board service cannot confirm now: the projection's grant stands
            fresh = snapshot.members.get(self._caller.user_id) if snapshot is not None else None
            return authorize(fresh, action, what=what)
        snapshot = await self.current()
        fresh = snapshot.members.get(self._caller.user_id) if snapshot is not None else None
        return authorize(fresh, action, what=what)

    async def list_on_board(self, list_id: str) -> ListRef | None:
        """The live, not archived list ``list_id`` if it belongs to this board, else
        ``None``."""
        ref = await self._projection.get_list(list_id)
        if ref is not None:
            # Deletion is final and a list never changes boards: no need to ask.
            if ref.deleted or ref.board_id != self.board_id:
                return None
            if not ref.archived:
                return ref
            # Archived may be stale (restored a moment ago): the board service knows.
        snapshot = await self.current()
        return snapshot.list_by_id(list_id) if snapshot is not None else None

    async def is_member(self, user_id: str) -> bool:
        """Whether ``user_id`` is a member of the board now."""
        if await self._projection.role_of(self.board_id, user_id) is not None:
            if self._trusted():
                return True
            try:
                snapshot = await self.current()
            except DependencyUnavailable:
                return True
            return snapshot is not None and user_id in snapshot.members
        snapshot = await self.current()
        return snapshot is not None and user_id in snapshot.members

    def _trusted(self) -> bool:
        # A grant is used as is while the board service confirmed the board lately; otherwise
        # (a lost or dead-lettered event may have left it too wide) the board service decides.
        if self._asked or not isinstance(self._directory, Confirming):
            return True
        return self._directory.confirmed(self.board_id)

    async def foreign_labels(self, label_ids: list[str]) -> list[str]:
        """Those of ``label_ids`` that are not live labels of this board, in the order given
        (empty when all are). A label the projection does not know yet (made a moment ago)
        is looked up in the board service's current answer."""
        known = {ref.id: ref for ref in await self._projection.get_labels(label_ids)}
        unknown = [label_id for label_id in label_ids if label_id not in known]
        fresh: set[str] = set()
        if unknown:
            snapshot = await self.current()
            fresh = snapshot.label_ids() if snapshot is not None else set()
        foreign = []
        for label_id in label_ids:
            ref = known.get(label_id)
            if ref is not None:
                # Deletion is final and a label never changes boards: no need to ask.
                if ref.deleted or ref.board_id != self.board_id:
                    foreign.append(label_id)
            elif label_id not in fresh:
                foreign.append(label_id)
        return foreign

    async def lists(self) -> list[ListRef]:
        """The board's lists in order."""
        return await self._projection.board_lists(self.board_id)


class BoardReaders:
    """Whether a caller may read a board: its members may (the projection first, the board
    service when it says no), everyone else gets 404, never 403. For services whose routes only
    need membership (activity's log, notification's watches)."""

    def __init__(self, projection: ProjectionReader, directory: BoardDirectory) -> None:
        self._projection = projection
        self._directory = directory

    async def require_member(self, board_id: str, caller: Requester) -> Role:
        """The caller's role on the board, or :class:`~hintro_shared.refusals.NotFound`."""
        access = BoardAccess(board_id, caller, self._projection, self._directory)
        return await access.authorize(Action.READ)

    async def require(
        self, board_id: str, caller: Requester, action: Action, *, what: str = "board"
    ) -> Role:
        """The caller's role if it allows ``action`` on the board: 404 for non-members, 403
        for members whose role does not (webhook's owner-only routes)."""
        access = BoardAccess(board_id, caller, self._projection, self._directory)
        return await access.authorize(action, what=what)
