"""Every MongoDB operation the board repositories use, run against the configured server
(nx-27017 in development, a real MongoDB when ``MONGO_URL`` points at one), so a stand-in's
quirk shows up here as a failing test rather than as a production surprise."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_board.domain import Board, BoardList, Member, Profile
from hintro_board.list_repository import MongoLists
from hintro_board.ports import PositionTaken
from hintro_board.repository import MongoBoards, MongoUsers, UserNotKnownYet
from hintro_shared.authz import Role
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.outbox import pending_events
from hintro_testkit.infra import scratch_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def db() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    async with scratch_database("board_conformance") as database:
        yield database


@pytest.fixture(scope="module")
async def repos(db: AsyncDatabase[dict[str, Any]]) -> tuple[MongoBoards, MongoLists, MongoUsers]:
    boards, lists, users = MongoBoards(db), MongoLists(db), MongoUsers(db)
    for repo in (boards, lists, users):
        await repo.create_indexes()
        await repo.create_indexes()  # idempotent at every start-up
    return boards, lists, users


def event(board_id: str) -> EventEnvelope:
    data = ev.BoardUpdated(board_id=board_id, version=2)
    return new_event("board.updated", source="test", data=data, board_id=board_id)


def a_board(owner: str, created_at: datetime | None = None) -> Board:
    at = created_at or datetime.now(UTC).replace(microsecond=0)
    return Board(uuid.uuid4().hex, "T", "", owner, (Member(owner, Role.OWNER),), at, at, 1)


async def test_member_updates_are_atomic_and_conditional(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    boards, _, _ = repos
    owner, user = uuid.uuid4().hex, uuid.uuid4().hex
    board = a_board(owner)
    await boards.insert(board, event(board.id))
    at = datetime.now(UTC)
    assert await boards.add_member(board.id, 1, user, Role.EDITOR, at, event(board.id))
    # Not at that version any more; and at the right version the member guard still holds.
    assert not await boards.add_member(board.id, 1, user, Role.EDITOR, at, event(board.id))
    assert not await boards.add_member(board.id, 2, user, Role.VIEWER, at, event(board.id))
    assert await boards.change_role(board.id, 2, user, Role.VIEWER, at, event(board.id))
    assert not await boards.change_role(board.id, 3, owner, Role.VIEWER, at, event(board.id))
    assert not await boards.remove_member(board.id, 3, owner, at, event(board.id))
    stored = await boards.get(board.id)
    assert stored is not None
    assert stored.version == 3
    assert stored.members == (Member(owner, Role.OWNER), Member(user, Role.VIEWER))
    assert isinstance(stored.updated_at, datetime)
    assert stored.updated_at.tzinfo is not None
    assert await boards.remove_member(board.id, 3, user, at, event(board.id))
    raw = await boards.collection.find_one({"_id": board.id})
    assert raw is not None
    assert raw["memberIds"] == [owner]
    assert raw["roles"] == {owner: "owner"}
    # Each write's event sits in the same document, in order, until the relay takes it.
    assert raw["outboxPending"] == 4 == len(pending_events(raw))


async def test_boards_of_a_member_page_by_created_at_then_id(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    boards, _, _ = repos
    owner = uuid.uuid4().hex
    base = datetime(2026, 1, 1, tzinfo=UTC)
    made = [a_board(owner, base + timedelta(milliseconds=i // 2)) for i in range(6)]
    for board in made:
        await boards.insert(board, event(board.id))
    expected = sorted(made, key=lambda b: (b.created_at, b.id), reverse=True)
    seen: list[str] = []
    after = None
    while True:
        page = await boards.page_for_member(owner, 4, after)
        seen += [b.id for b in page[:4]]
        if len(page) < 4:
            break
        after = (page[-1].created_at, page[-1].id)
    assert seen == [b.id for b in expected]
    assert await boards.page_for_member(uuid.uuid4().hex, 10, None) == []


async def test_tombstoned_board_is_invisible(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    boards, _, _ = repos
    owner = uuid.uuid4().hex
    board = a_board(owner)
    await boards.insert(board, event(board.id))
    assert await boards.tombstone(board.id, 1, event(board.id))
    assert await boards.get(board.id) is None
    assert await boards.page_for_member(owner, 10, None) == []
    assert not await boards.tombstone(board.id, 2, event(board.id))


async def test_list_positions_are_unique_per_board_and_neighbours_sorted(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    _, lists, _ = repos
    board_id, at = uuid.uuid4().hex, datetime.now(UTC)

    def a_list(position: str, board: str = board_id) -> BoardList:
        return BoardList(uuid.uuid4().hex, board, "L", position, at, at, 1)

    def created(item: BoardList) -> EventEnvelope:
        data = ev.ListCreated(
            list_id=item.id,
            board_id=item.board_id,
            title="L",
            position=item.position,
            created_at=at,
            version=1,
        )
        return new_event("list.created", source="test", data=data)

    a, c = a_list("a1"), a_list("a3")
    for item in (a, c, a_list("a1", uuid.uuid4().hex)):  # same position on another board: fine
        await lists.insert(item, created(item))
    clash = a_list("a1")
    with pytest.raises(PositionTaken):
        await lists.insert(clash, created(clash))
    with pytest.raises(PositionTaken):
        await lists.update(c.id, 1, {"position": "a1"}, at, created(c))
    assert await lists.neighbour(board_id, "a1", above=True, exclude=None) == "a3"
    assert await lists.neighbour(board_id, "a1", above=True, exclude=c.id) is None
    assert await lists.neighbour(board_id, "a3", above=False, exclude=None) == "a1"
    assert await lists.neighbour(board_id, None, above=False, exclude=None) == "a3"
    assert await lists.position_of(board_id, c.id) == "a3"
    assert await lists.position_of(uuid.uuid4().hex, c.id) is None
    assert await lists.update(c.id, 1, {"title": "C"}, at, created(c))
    assert [item.position for item in await lists.of_board(board_id)] == ["a1", "a3"]
    assert await lists.tombstone(a.id, 1, created(a))
    assert [item.id for item in await lists.of_board(board_id)] == [c.id]
    again = a_list("a1")
    await lists.insert(again, created(again))  # a tombstone does not hold its position
    assert await lists.delete_of_board(board_id) == 3


async def test_users_projection_upsert_is_idempotent_and_email_unique(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    _, _, users = repos
    user_id, email = uuid.uuid4().hex, f"{uuid.uuid4().hex}@example.com"
    await users.upsert(user_id, email, "Ada", 1_000)
    await users.upsert(user_id, email, "Ada", 1_000)
    assert await users.exists(user_id)
    assert await users.id_by_email(email) == user_id
    assert await users.collection.count_documents({"email": email}) == 1
    with pytest.raises(DuplicateKeyError):
        await users.upsert(uuid.uuid4().hex, email, "Impostor", 1_000)


async def test_users_projection_keeps_the_newest_name(
    repos: tuple[MongoBoards, MongoLists, MongoUsers],
) -> None:
    _, _, users = repos
    user_id, email = uuid.uuid4().hex, f"{uuid.uuid4().hex}@example.com"
    with pytest.raises(UserNotKnownYet):
        await users.rename(user_id, "Too early", 500)
    await users.upsert(user_id, email, "Ada", 1_000)
    assert await users.rename(user_id, "Ada L.", 2_000)
    assert not await users.rename(user_id, "Older rename", 1_500)
    await users.upsert(user_id, email, "Ada", 1_000)  # a replayed registration
    assert (await users.profiles([user_id]))[user_id] == Profile(user_id, "Ada L.", email)
    assert await users.by_email(email) == Profile(user_id, "Ada L.", email)
    # A user recorded before names carried a time takes any rename.
    legacy = uuid.uuid4().hex
    await users.collection.insert_one({"_id": legacy, "email": f"{legacy}@x.io", "name": "Old"})
    assert await users.rename(legacy, "New", 3_000)
    assert (await users.profiles([legacy, "nobody"])) == {
        legacy: Profile(legacy, "New", f"{legacy}@x.io")
    }
