"""Search's bounded ranking against the index on the test MongoDB (nx-27017 or ``MONGO_URL``):
every page equals the ranking of every match computed the slow way (each item scored from its
texts), for one word, prefixes short and long, several words, archived items and pages; and a
word found in every item reads a bounded number of documents (the index's ``docs_read``
counter), not one per match."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from hintro_task.search import SearchService
from hintro_task.search_index import SearchIndex, SearchItem
from hintro_task.searching import Ranked, item_score, query_terms
from hintro_testkit.infra import scratch_database

pytestmark = pytest.mark.integration

Db = AsyncDatabase[dict[str, Any]]
MINE, ALSO_MINE, NOT_MINE = "board-a", "board-b", "board-z"
VOCABULARY = ["log", "login", "logic", "logs", "alpha", "alps", "bet", "beta", "ship", "shipping"]


class Boards:
    """The caller belongs to two of the three boards."""

    async def boards_of(self, user_id: str) -> list[str]:
        return [MINE, ALSO_MINE]


@pytest.fixture
async def db() -> AsyncIterator[Db]:
    async with scratch_database("search_ranked") as database:
        yield database


def _item(n: int, rnd: random.Random, common: str = "") -> SearchItem:
    board = (MINE, ALSO_MINE, NOT_MINE)[n % 3]
    # Few distinct times: ties on time are ordered by id.
    at = f"2026-05-0{1 + rnd.randrange(3)}T12:00:0{rnd.randrange(2)}.000Z"
    title = " ".join(rnd.sample(VOCABULARY, 2))
    text = " ".join(rnd.sample(VOCABULARY, 3))
    if common:
        text = f"{text} {common}"
    if n % 7 == 0:
        return SearchItem(
            f"c:{n:04d}", "comment", board, f"t{n:04d}", "", "", text, at, 1, archived=n % 5 == 0
        )
    return SearchItem(
        f"t{n:04d}", "task", board, f"t{n:04d}", "list", title, text, at, 1, n % 5 == 0
    )


def expected(items: list[SearchItem], q: str, archived: bool) -> list[str]:
    """Every match ranked the slow way: each item of the caller's boards scored on its texts."""
    terms = query_terms(q)
    ranked = []
    for item in items:
        if item.board_id == NOT_MINE or item.archived != archived:
            continue
        total = item_score(item.places(), terms)
        if total is not None:
            ranked.append(Ranked(total, item.updated_at, item.id))
    return [hit.item_id for hit in sorted(ranked, key=Ranked.key)]


async def walk(service: SearchService, q: str, limit: int, archived: bool) -> list[str]:
    """Every page of ``q``, in order."""
    found: list[str] = []
    cursor = None
    while True:
        hits, cursor = await service.search("me", q, limit, cursor, archived=archived)
        found += [hit.item.id for hit in hits]
        if cursor is None:
            return found


async def seeded(db: Db, count: int, common: str = "") -> tuple[SearchIndex, list[SearchItem]]:
    index = SearchIndex(db)
    await index.create_indexes()
    rnd = random.Random(12)
    items = [_item(n, rnd, common) for n in range(count)]
    # A comment's hit shows its task: every comment's task is indexed too.
    tasks = {item.id for item in items if item.kind == "task"}
    extra = [
        SearchItem(
            item.task_id, "task", item.board_id, item.task_id, "list", "x", "", item.updated_at, 1
        )
        for item in items
        if item.kind == "comment" and item.task_id not in tasks
    ]
    await index.put_many(items + extra)
    return index, items + extra


QUERIES = ["log", "login", "lo", "logi", "ship", "al", "alpha bet", "log ship", "lo be", "nothing"]


@pytest.mark.parametrize("common", [1000, 3], ids=["intersected", "streamed"])
async def test_pages_equal_the_full_ranking(db: Db, common: int) -> None:
    index, items = await seeded(db, 240)
    service = SearchService(index, Boards(), common=common)
    for q in QUERIES:
        for archived in (False, True):
            want = expected(items, q, archived)
            assert await walk(service, q, 7, archived) == want, (q, archived)
            first, _ = await service.search("me", q, 50, None, archived=archived)
            assert [hit.item.id for hit in first] == want[:50], (q, archived)


async def test_a_word_in_every_item_reads_a_bounded_number_of_documents(db: Db) -> None:
    index, items = await seeded(db, 900, common="everywhere")
    service = SearchService(index, Boards())
    assert len(expected(items, "everywhere", False)) > 400

    index.docs_read = 0
    hits, cursor = await service.search("me", "everywhere", 20, None)
    assert [hit.item.id for hit in hits] == expected(items, "everywhere", False)[:20]
    assert cursor is not None
    # One ordered read of 21 postings and the 21 items they name (a comment's task besides),
    # whatever the number of matches.
    assert index.docs_read <= 2 * 21 + 20

    index.docs_read = 0
    page_two, _ = await service.search("me", "everywhere", 20, cursor)
    assert [hit.item.id for hit in page_two] == expected(items, "everywhere", False)[20:40]
    assert index.docs_read <= 2 * 21 + 20


async def test_several_common_words_read_a_bounded_number_of_documents(db: Db) -> None:
    index, items = await seeded(db, 900, common="everywhere always")
    service = SearchService(index, Boards(), common=100)
    index.docs_read = 0
    hits, _ = await service.search("me", "everywhere always", 20, None)
    assert [hit.item.id for hit in hits] == expected(items, "everywhere always", False)[:20]
    # The probe of the first word's match set stops at the cap, the other word's best tier
    # is read (one posting), then one page is streamed.
    assert index.docs_read <= 101 + 2 + 2 * 21 + 20


async def test_an_item_reindexed_keeps_one_place_in_the_ranking(db: Db) -> None:
    index, _ = await seeded(db, 0)
    service = SearchService(index, Boards())
    item = SearchItem("t1", "task", MINE, "t1", "l", "Login", "", "2026-05-01T12:00:00.000Z", 1)
    await index.put(item)
    newer = SearchItem(
        "t1", "task", MINE, "t1", "l", "Other", "login", "2026-05-02T12:00:00.000Z", 2
    )
    await index.put(newer)
    hits, _ = await service.search("me", "login", 20, None)
    assert [(hit.item.id, hit.ranked.score, hit.item.title) for hit in hits] == [("t1", 3, "Other")]


async def test_the_migration_gives_older_postings_their_ranked_keys(db: Db) -> None:
    from hintro_task.migrations import MIGRATIONS

    index, items = await seeded(db, 60)
    await index.terms.update_many({}, {"$unset": {"r": "", "x": ""}})  # written before them
    keys = next(m for m in MIGRATIONS if m.name.startswith("search index: the ranked keys"))
    await keys.up(db)
    await keys.up(db)  # idempotent
    assert await index.terms.count_documents({"r": {"$exists": False}}) == 0
    service = SearchService(index, Boards())
    assert await walk(service, "login", 5, False) == expected(items, "login", False)
    await keys.down(db)
    assert await index.terms.count_documents({"r": {"$exists": True}}) == 0


class CountingBoards:
    """The board service, as search asks it for titles the index lacks: counts the asks."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def fetch_board_json(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> Any:
        self.asked.append(board_id)
        return {"title": "Asked", "version": 1, "lists": []}


async def test_a_comment_hit_with_known_titles_asks_the_board_service_nothing(db: Db) -> None:
    index = SearchIndex(db)
    await index.create_indexes()
    at = "2026-05-01T12:00:00.000Z"
    await index.put(SearchItem("t1", "task", MINE, "t1", "l1", "Plan", "words", at, 1))
    await index.put(SearchItem("c:1", "comment", MINE, "t1", "", "", "a zebra here", at, 1))
    await index.set_name("board", MINE, "Mine", 1)
    await index.set_name("list", "l1", "Doing", 1)
    boards = CountingBoards()
    hits, _ = await SearchService(index, Boards(), boards=boards).search(
        "me", "zebra", 20, None, authorization="Bearer token"
    )
    assert [(hit.item.id, hit.board_title, hit.list_title) for hit in hits] == [
        ("c:1", "Mine", "Doing")
    ]
    assert boards.asked == []


async def _with_rare_pair(db: Db, common: str = "") -> tuple[SearchIndex, list[SearchItem]]:
    """:func:`seeded`'s items, then 200 with "zebra" in their text and 5 of them with "quokka"
    in their title too."""
    index, items = await seeded(db, 300, common)
    at = "2026-05-04T12:00:00.000Z"
    more = [
        SearchItem(
            f"z{n:03d}",
            "task",
            (MINE, ALSO_MINE)[n % 2],
            f"z{n:03d}",
            "list",
            "Quokka sighting" if n % 40 == 0 else "Animal",
            f"a zebra {common}",
            at,
            1,
        )
        for n in range(200)
    ]
    await index.put_many(more)
    return index, items + more


async def test_several_words_read_the_postings_of_the_items_all_match_only(db: Db) -> None:
    index, items = await _with_rare_pair(db)
    service = SearchService(index, Boards())
    want = expected(items, "zebra quokka", False)
    assert len(want) == 5
    index.docs_read = 0
    hits, _ = await service.search("me", "zebra quokka", 20, None)
    assert [hit.item.id for hit in hits] == want
    # Quokka's 5 postings, zebra's among those 5 items, the 5 items: none of zebra's other 195.
    assert index.docs_read <= 2 * 5 + 5


async def test_a_rare_word_beside_a_common_one_is_ranked_from_the_streams(db: Db) -> None:
    index, items = await _with_rare_pair(db, common="everywhere")
    service = SearchService(index, Boards(), common=100)
    want = expected(items, "quokka everywhere", False)
    assert len(want) == 5
    hits, _ = await service.search("me", "quokka everywhere", 20, None)
    assert [hit.item.id for hit in hits] == want
    assert await walk(service, "quokka everywhere", 2, False) == want
