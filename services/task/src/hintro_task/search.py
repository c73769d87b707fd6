"""Search across the caller's boards (``GET /api/search``), and the consumer that keeps the
index (:mod:`hintro_task.search_index`) current from task, comment, board and list events.

The boards searched are those the task service's board view lists the caller as a member of,
so a member removed from a board stops finding its tasks as soon as the removal event lands,
and a board joined a moment ago is searched once its event has (within moments). The index
follows writes the same way: a task is findable once its event has been consumed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from hintro_shared.errors import DependencyUnavailable
from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.refusals import RuleBroken
from hintro_shared.timeutil import rfc3339
from hintro_task.domain import Task
from hintro_task.search_index import (
    CommentText,
    Posting,
    SearchItem,
    StoredItem,
    comment_item_id,
)
from hintro_task.searching import (
    TASK,
    TIERS,
    Candidate,
    Ranked,
    Tier,
    after_cursor,
    highlights,
    item_score,
    page_after,
    query_terms,
    rank,
    search_cursor,
    snippet,
)

_log = logging.getLogger(__name__)

SEARCH_ROUTING_KEYS = (
    "task.*",
    "comment.*",
    "board.created",
    "board.updated",
    "list.created",
    "list.updated",
)
"""What the search consumer binds: every task and comment change, and boards' and lists'
titles."""


class SearchStore(Protocol):
    """The index (see ``SearchIndex``)."""

    async def candidates(
        self,
        term: str,
        boards: list[str],
        *,
        archived: bool,
        cap: int | None,
        among: list[str] | None = None,
    ) -> dict[str, Candidate] | None: ...

    async def more_than(self, term: str, cap: int) -> bool: ...

    async def ranked(
        self,
        term: str,
        tier: Tier,
        boards: list[str],
        *,
        archived: bool,
        after: str | None,
        limit: int,
    ) -> list[Posting]: ...

    async def items_by_id(self, ids: list[str]) -> dict[str, StoredItem]: ...

    async def titles(self, keys: list[str]) -> dict[str, str]: ...

    async def set_name(self, kind: str, object_id: str, title: str, version: int) -> None: ...


class BoardReader(Protocol):
    """A board as the board service renders it for the caller (see ``BoardClient``)."""

    async def fetch_board_json(
        self, board_id: str, *, authorization: str, request_id: str | None
    ) -> Any: ...


class Memberships(Protocol):
    """Which boards a user belongs to (the board view)."""

    async def boards_of(self, user_id: str) -> list[str]: ...


@dataclass(frozen=True)
class Hit:
    """One search result: the item, its task and where the task is, with the matching words
    marked."""

    ranked: Ranked
    item: StoredItem
    task: StoredItem
    board_title: str | None
    list_title: str | None
    title_marks: list[tuple[int, int]]
    snippet: str
    snippet_marks: list[tuple[int, int]]


COMMON_POSTINGS = 1000
"""Above this many postings a word of a query of several words is common: the query is not
ranked from every match (intersected in memory) but read in rank order (see
:meth:`SearchService._streamed`)."""
_BATCH_MAX = 200
_LEARN_MAX = 10
"""Boards whose titles one search asks the board service for, at most."""


class SearchService:
    """The search use case.

    A query of one word reads that word's matches in rank order (:data:`TIERS`: whole word in a
    title, prefix in a title, whole word in a text, prefix in a text; each newest first) and
    stops after one page: a word found in every task costs what a rare one does. A query of
    several words reads the longest word's match set and each other word's postings among those
    items while no word is common, and otherwise walks the longest word's ranked streams,
    checking the other words on each item read, until the page is settled (threshold ranking:
    no unread item can outrank it)."""

    def __init__(
        self,
        index: SearchStore,
        memberships: Memberships,
        *,
        boards: BoardReader | None = None,
        common: int = COMMON_POSTINGS,
    ) -> None:
        self._index = index
        self._memberships = memberships
        self._boards = boards
        self._common = common

    async def search(
        self,
        user_id: str,
        q: str,
        limit: int,
        cursor: str | None,
        *,
        archived: bool = False,
        authorization: str = "",
        request_id: str | None = None,
    ) -> tuple[list[Hit], str | None]:
        """A page of hits for ``q`` in the caller's boards and the next page's cursor.
        ``authorization`` lets it ask the board service, on the caller's behalf, for the
        titles of boards the index has none for (boards made before the index)."""
        terms = query_terms(q)
        if not terms:
            raise RuleBroken(("query", "q"), "the query has no letters or digits")
        start = after_cursor(cursor, terms, archived) if cursor else None
        boards = await self._memberships.boards_of(user_id)
        if not boards:
            return [], None
        members = set(boards)
        found: tuple[list[Ranked], dict[str, StoredItem]] | None = None
        if len(terms) > 1:
            found = await self._intersected(terms, boards, archived, start, limit)
        if found is None:
            found = await self._streamed(terms, boards, members, archived, start, limit)
        page, items = found
        more = len(page) > limit
        page = page[:limit]
        hits = await self._hits(page, terms, members, items, (authorization, request_id))
        next_cursor = search_cursor(page[-1], terms, archived) if more and page else None
        return hits, next_cursor

    async def _intersected(
        self,
        terms: tuple[str, ...],
        boards: list[str],
        archived: bool,
        start: Ranked | None,
        limit: int,
    ) -> tuple[list[Ranked], dict[str, StoredItem]] | None:
        """Every item all words match, ranked in memory, when no word is common (more than
        ``common`` postings); ``None`` otherwise (then :meth:`_streamed` ranks the query). Only
        the longest word's match set is read whole; each other word is read among the items
        still in, so it returns what they have of it, not what it has in every board. The
        server still walks that word's range to find them, which is why a word common in the
        whole index (a cheap probe: one posting past the cap) is not read this way."""
        driver, *others = sorted(terms, key=len, reverse=True)
        for term in others:
            if await self._index.more_than(term, self._common):
                return None
        found = await self._index.candidates(driver, boards, archived=archived, cap=self._common)
        if found is None:
            return None
        for term in others:
            if not found:
                return [], {}
            matches = (
                await self._index.candidates(
                    term, boards, archived=archived, cap=None, among=list(found)
                )
                or {}
            )
            found = {item_id: found[item_id] for item_id in found if item_id in matches}
            for item_id, candidate in found.items():
                candidate.take(term, matches[item_id].best[term])
        return page_after(rank(found.values(), terms), start, limit), {}

    async def _streamed(
        self,
        terms: tuple[str, ...],
        boards: list[str],
        members: set[str],
        archived: bool,
        start: Ranked | None,
        limit: int,
    ) -> tuple[list[Ranked], dict[str, StoredItem]]:
        """The page read from the longest word's tiers in rank order. Each item read is scored
        on all words from its own texts; reading stops once ``limit + 1`` hits are known to
        outrank every item not read yet (whose score is at most the current tier's plus the
        best any other word can add, and which comes after the last posting read)."""
        driver = max(terms, key=len)
        others_best = 0
        for term in terms:
            if term != driver:
                others_best += await self._best_tier(term, boards, archived)
        wanted = limit + 1
        hits: dict[str, Ranked] = {}
        items: dict[str, StoredItem] = {}
        seen: set[str] = set()
        for tier in TIERS:
            # One word: the tiers before the cursor's hold only earlier pages.
            if start is not None and not others_best and tier.score > start.score:
                continue
            after = None
            if start is not None and not others_best and tier.score == start.score:
                after = tier.after(driver, start)
            batch = wanted
            while True:
                rows = await self._index.ranked(
                    driver, tier, boards, archived=archived, after=after, limit=batch
                )
                fresh = [row for row in rows if row.item_id not in seen]
                seen.update(row.item_id for row in fresh)
                read = await self._index.items_by_id([row.item_id for row in fresh])
                for row in fresh:
                    item = read.get(row.item_id)
                    if item is None or item.board_id not in members or item.archived != archived:
                        continue  # changed since its posting was read
                    total = item_score(item.places(), terms)
                    if total is None:
                        continue
                    hit = Ranked(total, row.updated_at, row.item_id)
                    if start is None or hit.key() > start.key():
                        hits[row.item_id] = hit
                        items[row.item_id] = item
                ranked = sorted(hits.values(), key=Ranked.key)
                if len(rows) < batch:
                    break  # the tier is read to its end
                last = rows[-1]
                unread = Ranked(tier.score + others_best, last.updated_at, last.item_id)
                if len(ranked) >= wanted and ranked[wanted - 1].key() <= unread.key():
                    return ranked[:wanted], items
                after = last.key
                batch = min(batch * 2, _BATCH_MAX)
        return sorted(hits.values(), key=Ranked.key)[:wanted], items

    async def _learn_names(
        self, board_ids: list[str], authorization: str, request_id: str | None
    ) -> dict[str, str]:
        """Board and list titles the index lacks (boards made before it; their events were
        consumed before the index existed), asked of the board service for the caller and
        remembered, so each board costs one call once."""
        if self._boards is None or not authorization:
            return {}
        learnt: dict[str, str] = {}
        for board_id in board_ids[:_LEARN_MAX]:
            try:
                body = await self._boards.fetch_board_json(
                    board_id, authorization=authorization, request_id=request_id
                )
            except DependencyUnavailable:
                continue  # the hits show no title this time; search still answers
            if not isinstance(body, dict):
                continue
            named: list[tuple[str, Any, Any, Any]] = [
                ("board", board_id, body.get("title"), body.get("version"))
            ]
            for entry in body.get("lists") or []:
                if isinstance(entry, dict):
                    named.append(
                        ("list", entry.get("id"), entry.get("title"), entry.get("version"))
                    )
            for kind, object_id, title, version in named:
                if (
                    isinstance(object_id, str)
                    and isinstance(title, str)
                    and isinstance(version, int)
                ):
                    await self._index.set_name(kind, object_id, title, version)
                    learnt[f"{kind}:{object_id}"] = title
        return learnt

    async def _best_tier(self, term: str, boards: list[str], archived: bool) -> int:
        """The best score ``term`` reaches on any item (its first tier holding a posting): what
        it can add at most to an item not read yet."""
        for tier in TIERS:
            if await self._index.ranked(term, tier, boards, archived=archived, after=None, limit=1):
                return tier.score
        return 0

    async def _hits(
        self,
        page: list[Ranked],
        terms: tuple[str, ...],
        boards: set[str],
        known: dict[str, StoredItem],
        caller: tuple[str, str | None],
    ) -> list[Hit]:
        items = {hit.item_id: known[hit.item_id] for hit in page if hit.item_id in known}
        missing = [hit.item_id for hit in page if hit.item_id not in known]
        if missing:
            items.update(await self._index.items_by_id(missing))
        # The task of each item of the page (a comment's is read unless already at hand).
        tasks = {item.id: item for item in items.values() if item.kind == TASK}
        for entry in items.values():
            if entry.task_id in known:
                tasks.setdefault(entry.task_id, known[entry.task_id])
        unread = [item.task_id for item in items.values() if item.task_id not in tasks]
        if unread:
            tasks.update(await self._index.items_by_id(unread))
        keys = [f"board:{item.board_id}" for item in items.values()] + [
            f"list:{task.list_id}" for task in tasks.values()
        ]
        names = await self._index.titles(keys)
        unnamed = {
            item.board_id for item in items.values() if f"board:{item.board_id}" not in names
        }
        unnamed.update(
            task.board_id for task in tasks.values() if f"list:{task.list_id}" not in names
        )
        if unnamed:
            names.update(await self._learn_names(sorted(unnamed & boards), *caller))
        hits = []
        for ranked in page:
            item = items.get(ranked.item_id)
            task = tasks.get(item.task_id) if item is not None else None
            if item is None or task is None or item.board_id not in boards:
                continue  # removed between the two reads
            text, marks = snippet(item.text, terms)
            hits.append(
                Hit(
                    ranked=ranked,
                    item=item,
                    task=task,
                    board_title=names.get(f"board:{item.board_id}"),
                    list_title=names.get(f"list:{task.list_id}"),
                    title_marks=highlights(task.title, terms),
                    snippet=text,
                    snippet_marks=marks,
                )
            )
        return hits


# --- keeping the index ----------------------------------------------------------------------


class IndexWriter(Protocol):
    """The index's writes, and what it reads of comments (see ``SearchIndex``)."""

    async def put(self, item: SearchItem) -> bool: ...

    async def remove(self, item_id: str, version: int) -> None: ...

    async def remove_task(self, task_id: str, version: int) -> None: ...

    async def comment(self, comment_id: str) -> CommentText | None: ...

    async def set_task_archived(self, task_id: str, archived: bool) -> None: ...

    async def set_name(self, kind: str, object_id: str, title: str, version: int) -> None: ...


class TaskReader(Protocol):
    """The current state of a task (see ``TaskRepository``)."""

    async def get(self, task_id: str) -> Task | None: ...


def task_item(task: Task) -> SearchItem:
    """What the index holds of a task."""
    return SearchItem(
        id=task.id,
        kind=TASK,
        board_id=task.board_id,
        task_id=task.id,
        list_id=task.list_id,
        title=task.title,
        text=task.description,
        updated_at=rfc3339(task.updated_at),
        version=task.version,
        archived=task.archived_at is not None,
    )


class SearchIndexer:
    """Applies one event to the index. A task event is only a signal: the task is re-read and
    indexed as it is now (at its current version), so partial events, redeliveries and any order
    leave the index equal to the tasks."""

    def __init__(self, index: IndexWriter, tasks: TaskReader) -> None:
        self._index = index
        self._tasks = tasks

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply ``envelope``; other types are ignored."""
        if envelope.type.startswith("task."):
            # Any task event, this build's or a newer one's, names its task and version.
            task_id, version = envelope.data.get("taskId"), envelope.data.get("version")
            if isinstance(task_id, str) and isinstance(version, int):
                await self.reindex_task(
                    task_id, version, archival=envelope.type not in KEEPS_ARCHIVAL
                )
            return
        if envelope.type.startswith("comment."):
            comment_id, version = envelope.data.get("commentId"), envelope.data.get("version")
            if isinstance(comment_id, str) and isinstance(version, int):
                await self.reindex_comment(
                    comment_id, version, gone=envelope.type == "comment.deleted"
                )
            return
        data: Any = envelope.parsed_data()
        match data:
            case ev.BoardCreated() | ev.BoardUpdated() if data.title is not None:
                await self._index.set_name("board", data.board_id, data.title, data.version)
            case ev.ListCreated() | ev.ListUpdated() if data.title is not None:
                await self._index.set_name("list", data.list_id, data.title, data.version)
            case _:
                pass

    async def reindex_task(self, task_id: str, version: int, *, archival: bool = True) -> None:
        """Index the task as it is now, or forget it (and its comments) when it is gone.
        ``archival``: whether the event may have archived or restored the task, which its
        comments' entries follow (two writes over them, skipped for every other event)."""
        task = await self._tasks.get(task_id)
        if task is None:
            await self._index.remove_task(task_id, version)
            return
        item = task_item(task)
        if await self._index.put(item) and archival:
            await self._index.set_task_archived(task.id, item.archived)

    async def reindex_comment(self, comment_id: str, version: int, *, gone: bool) -> None:
        """Index the comment as it is now, or forget it once deleted."""
        comment = None if gone else await self._index.comment(comment_id)
        if comment is None:
            if gone:
                await self._index.remove(comment_item_id(comment_id), version)
            return
        task = await self._tasks.get(comment.task_id)
        if task is None:
            return  # the task's deletion takes its comments along
        await self._index.put(comment_item(comment, archived=task.archived_at is not None))


KEEPS_ARCHIVAL = frozenset(
    {"task.created", "task.updated", "task.moved", "task.assigned", "task.unassigned"}
    | {t for t in ev.EVENT_SCHEMAS if t.startswith("task.checklist_")}
)
"""Task events that never archive or restore their task (an archived task refuses them; only
``task.archived`` and ``task.restored`` change it, and a type this build does not know is
assumed to): their reindex leaves the comments' ``archived`` flags alone. Whichever event
did change it is reindexed too, from the task as it is then, so any order ends right."""

_MENTION = re.compile(r"@\[([^\]]*)\]\([A-Za-z0-9_-]+\)")


def comment_item(comment: CommentText, *, archived: bool = False) -> SearchItem:
    """What the index holds of a comment: its text with each ``@[label](userId)`` mention as
    ``@label`` (the words a reader sees)."""
    return SearchItem(
        id=comment_item_id(comment.id),
        kind="comment",
        board_id=comment.board_id,
        task_id=comment.task_id,
        list_id="",
        title="",
        text=_MENTION.sub(lambda m: f"@{m.group(1)}", comment.text),
        updated_at=comment.updated_at,
        version=comment.version,
        archived=archived,
    )
