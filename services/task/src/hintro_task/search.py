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

from hintro_shared.events import catalogue as ev
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.refusals import RuleBroken
from hintro_shared.timeutil import rfc3339
from hintro_task.domain import Task
from hintro_task.search_index import CommentText, SearchItem, StoredItem, comment_item_id
from hintro_task.searching import (
    TASK,
    Candidate,
    Ranked,
    after_cursor,
    highlights,
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
        self, terms: tuple[str, ...], boards: list[str], *, archived: bool
    ) -> dict[str, Candidate]: ...

    async def items_by_id(self, ids: list[str]) -> dict[str, StoredItem]: ...

    async def titles(self, keys: list[str]) -> dict[str, str]: ...


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


class SearchService:
    """The search use case."""

    def __init__(self, index: SearchStore, memberships: Memberships) -> None:
        self._index = index
        self._memberships = memberships

    async def search(
        self, user_id: str, q: str, limit: int, cursor: str | None, *, archived: bool = False
    ) -> tuple[list[Hit], str | None]:
        """A page of hits for ``q`` in the caller's boards and the next page's cursor."""
        terms = query_terms(q)
        if not terms:
            raise RuleBroken(("query", "q"), "the query has no letters or digits")
        start = after_cursor(cursor, terms, archived) if cursor else None
        boards = await self._memberships.boards_of(user_id)
        if not boards:
            return [], None
        ranked = rank(
            (await self._index.candidates(terms, boards, archived=archived)).values(), terms
        )
        page = page_after(ranked, start, limit)
        more = len(page) > limit
        page = page[:limit]
        hits = await self._hits(page, terms, set(boards))
        next_cursor = search_cursor(page[-1], terms, archived) if more and page else None
        return hits, next_cursor

    async def _hits(
        self, page: list[Ranked], terms: tuple[str, ...], boards: set[str]
    ) -> list[Hit]:
        items = await self._index.items_by_id([hit.item_id for hit in page])
        task_ids = [item.task_id for item in items.values() if item.kind != TASK]
        tasks = {**items, **await self._index.items_by_id(task_ids)}
        keys = [f"board:{item.board_id}" for item in items.values()] + [
            f"list:{task.list_id}" for task in tasks.values()
        ]
        names = await self._index.titles(keys)
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
