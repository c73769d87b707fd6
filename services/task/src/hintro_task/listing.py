"""The board's tasks page by page, in board order: lists in their own order, tasks by position.

The cursor holds the last task's list (id and position) and position, so each page is a few
index range scans on (listId, position), one per list it touches, and never a skip.
"""

from __future__ import annotations

from typing import Protocol

from hintro_shared.pagination import decode_cursor, encode_cursor, invalid_cursor
from hintro_shared.refusals import RuleBroken
from hintro_task.access import BoardAccess
from hintro_task.domain import ListRef, Task


class TaskPages(Protocol):
    """The one query listing needs of the task store."""

    async def page(self, list_id: str, after_position: str | None, limit: int) -> list[Task]: ...


def decode_task_cursor(cursor: str) -> tuple[str, str, str]:
    """(list id, list position, last task position) of a cursor made by :func:`list_page`."""
    value = decode_cursor(cursor)
    parts = (value.get("l"), value.get("lp"), value.get("p"))
    if not all(isinstance(part, str) for part in parts):
        raise invalid_cursor()
    return (str(parts[0]), str(parts[1]), str(parts[2]))


async def _lists(access: BoardAccess, list_id: str | None) -> list[ListRef]:
    if list_id is None:
        return await access.lists()
    ref = await access.list_on_board(list_id)
    if ref is None:
        raise RuleBroken(("query", "listId"), "no such list on this board")
    return [ref]


async def list_page(
    access: BoardAccess, tasks: TaskPages, list_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Task], str | None]:
    """One page of at most ``limit`` tasks and the cursor of the next (``None`` at the end)."""
    lists = await _lists(access, list_id)
    start = decode_task_cursor(cursor) if cursor else None
    items: list[Task] = []
    for ref in lists:
        after: str | None = None
        if start is not None:
            start_list, start_list_position, start_position = start
            if ref.id == start_list:
                after = start_position
            elif (ref.position, ref.id) < (start_list_position, start_list):
                continue  # served on earlier pages
        # One more than needed tells whether another page follows.
        items.extend(await tasks.page(ref.id, after, limit + 1 - len(items)))
        if len(items) > limit:
            break
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    last = items[-1]
    list_position = next(ref.position for ref in lists if ref.id == last.list_id)
    return items, encode_cursor({"l": last.list_id, "lp": list_position, "p": last.position})
