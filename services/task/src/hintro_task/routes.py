"""HTTP surface of the task service (docs/api.md, "Tasks"): thin handlers that authenticate,
parse, call a use case and render; ``OPERATIONS`` declares them for routing and for OpenAPI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hintro_shared.http import (
    SOCKET_ID_HEADER,
    json_response,
    stored_json_response,
)
from hintro_shared.openapi import Operation
from hintro_shared.problems import not_found, read_json, validate
from hintro_shared.tokens import authenticated_caller
from hintro_shared.versioning import etag, expected_version, not_modified, not_modified_since
from hintro_task.domain import ImportedFrom, Task, is_safe_id
from hintro_task.schemas import (
    ChecklistsOut,
    CommentBody,
    CommentOut,
    CommentPage,
    CreateChecklistBody,
    CreateCommentBody,
    CreateItemBody,
    CreateTaskBody,
    ListCommentsQuery,
    ListTasksQuery,
    MoveItemBody,
    MoveTaskBody,
    RestoreTaskBody,
    SearchPage,
    SearchQuery,
    TaskOut,
    TaskPage,
    UpdateChecklistBody,
    UpdateItemBody,
    UpdateTaskBody,
    checklists_json,
    comment_json,
    task_json,
)
from hintro_task.search import Hit, SearchService
from hintro_task.service import CommentService, TaskDetail, TaskService

TASK_SERVICE = web.AppKey("hintro.task.service", TaskService)
SEARCH_SERVICE = web.AppKey("hintro.task.search", SearchService)
COMMENT_SERVICE = web.AppKey("hintro.task.comments", CommentService)
TAG = "tasks"


def _path_id(request: web.Request, name: str, what: str) -> str:
    value = request.match_info[name]
    if not is_safe_id(value):
        raise not_found(what)
    return value


def _task(task: Task, *, status: int = 200) -> web.Response:
    headers = {"Location": f"/api/tasks/{task.id}"} if status == 201 else None
    return json_response(task_json(task), status=status, version=task.version, headers=headers)


def _service(request: web.Request) -> TaskService:
    return request.app[TASK_SERVICE]


async def handle_list_tasks(request: web.Request) -> web.Response:
    """GET /api/boards/{boardId}/tasks"""
    caller = await authenticated_caller(request)
    board_id = _path_id(request, "boardId", "board")
    query = validate(ListTasksQuery, dict(request.query))
    if query.filtered:
        matching = await _service(request).filter_tasks(caller, board_id, query.task_filter())
        return json_response({"items": [task_json(task) for task in matching], "next": None})
    if query.all:
        tasks = await _service(request).board_tasks(caller, board_id)
        return stored_json_response(request, tasks.etag, tasks.gzipped, tasks.plain)
    if query.archived:
        archived = await _service(request).archived_tasks(caller, board_id)
        return json_response({"items": [task_json(task) for task in archived], "next": None})
    items, next_cursor = await _service(request).list_tasks(
        caller, board_id, query.list_id, query.limit, query.cursor
    )
    return json_response({"items": [task_json(task) for task in items], "next": next_cursor})


async def handle_create_task(request: web.Request) -> web.Response:
    """POST /api/boards/{boardId}/tasks"""
    caller = await authenticated_caller(request)
    board_id = _path_id(request, "boardId", "board")
    body = await read_json(request, CreateTaskBody)
    fields = body.model_dump(by_alias=True, exclude_none=True)
    service = _service(request)
    given = None if body.id is None else await service.given_task(caller, board_id, body.id)
    if given is not None:
        return _task(given)
    return _task(await service.create_task(caller, board_id, fields), status=201)


async def handle_get_task(request: web.Request) -> web.Response:
    """GET /api/tasks/{taskId} (304 when ``If-None-Match`` names its version)"""
    caller = await authenticated_caller(request)
    task = await _service(request).get_task(caller, _path_id(request, "taskId", "task"))
    if not_modified_since(request, etag(task.version)):
        return not_modified(etag(task.version))
    return _task(task)


async def handle_update_task(request: web.Request) -> web.Response:
    """PATCH /api/tasks/{taskId}"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    body = await read_json(request, UpdateTaskBody)
    task = await _service(request).update_task(
        caller, task_id, body.requested(), expected_version(request)
    )
    return _task(task)


async def handle_move_task(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/move"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    body = await read_json(request, MoveTaskBody)
    task = await _service(request).move_task(
        caller, task_id, body.list_id, body.after_id, body.before_id
    )
    return _task(task)


async def handle_assign_task(request: web.Request) -> web.Response:
    """PUT /api/tasks/{taskId}/assignees/{userId}"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    task = await _service(request).set_assignee(
        caller, task_id, request.match_info["userId"], on=True
    )
    return _task(task)


async def handle_unassign_task(request: web.Request) -> web.Response:
    """DELETE /api/tasks/{taskId}/assignees/{userId}"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    task = await _service(request).set_assignee(
        caller, task_id, request.match_info["userId"], on=False
    )
    return _task(task)


async def handle_delete_task(request: web.Request) -> web.Response:
    """DELETE /api/tasks/{taskId}"""
    caller = await authenticated_caller(request)
    await _service(request).delete_task(caller, _path_id(request, "taskId", "task"))
    return web.Response(status=204)


def _hit_json(hit: Hit) -> dict[str, Any]:
    comment = hit.item.kind != "task"
    return {
        "kind": hit.item.kind,
        "taskId": hit.task.id,
        "commentId": hit.item.id.removeprefix("c:") if comment else None,
        "boardId": hit.item.board_id,
        "boardTitle": hit.board_title,
        "listId": hit.task.list_id,
        "listTitle": hit.list_title,
        "title": hit.task.title,
        "titleMarks": hit.title_marks,
        "snippet": hit.snippet,
        "snippetMarks": hit.snippet_marks,
        "score": hit.ranked.score,
        "updatedAt": hit.item.updated_at,
    }


async def handle_search(request: web.Request) -> web.Response:
    """GET /api/search"""
    caller = await authenticated_caller(request)
    query = validate(SearchQuery, dict(request.query))
    hits, next_cursor = await request.app[SEARCH_SERVICE].search(
        caller.user_id,
        query.q,
        query.limit,
        query.cursor,
        archived=query.archived,
        authorization=caller.authorization,
        request_id=caller.request_id,
    )
    return json_response({"items": [_hit_json(hit) for hit in hits], "next": next_cursor})


async def handle_archive_task(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/archive"""
    caller = await authenticated_caller(request)
    task = await _service(request).archive_task(caller, _path_id(request, "taskId", "task"))
    return _task(task)


async def handle_restore_task(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/restore (body optional: ``{listId}``)"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    body = await read_json(request, RestoreTaskBody) if request.body_exists else RestoreTaskBody()
    task = await _service(request).restore_task(caller, task_id, body.list_id)
    return _task(task)


_READ_ERRORS = (404, 503)
_ETAG = ("ETag",)
_WRITE_ERRORS = (403, 404, 409, 422, 503)

OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/api/boards/{boardId}/tasks",
        handle_list_tasks,
        "The board's tasks, ordered by list then position (cursor-paginated, or all at once "
        "with all=true)",
        TAG,
        query=ListTasksQuery,
        response=TaskPage,
        errors=(*_READ_ERRORS, 422),
        headers=("If-None-Match",),
        response_headers=_ETAG,
    ),
    Operation(
        "POST",
        "/api/boards/{boardId}/tasks",
        handle_create_task,
        "Create a task in one of the board's lists (at the end unless anchored)",
        TAG,
        status=201,
        request=CreateTaskBody,
        response=TaskOut,
        errors=(400, 413, *_WRITE_ERRORS),
        headers=(SOCKET_ID_HEADER,),
        response_headers=("ETag", "Location"),
        examples=(
            {"listId": "8a1f0c2e4b6d4f7a9c3e5b7d9f1a2c4e", "title": "Fix login"},
            {
                "listId": "8a1f0c2e4b6d4f7a9c3e5b7d9f1a2c4e",
                "title": "Write release notes",
                "labelIds": ["5c0ffee5c0ffee5c0ffee5c0ffee5c0f"],
                "startDate": "2026-12-20T09:00:00Z",
                "dueDate": "2026-12-24T17:00:00Z",
                "afterId": "0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b",
            },
        ),
    ),
    Operation(
        "GET",
        "/api/tasks/{taskId}",
        handle_get_task,
        "One task (ETag = version)",
        TAG,
        response=TaskOut,
        errors=_READ_ERRORS,
        headers=("If-None-Match",),
        response_headers=_ETAG,
    ),
    Operation(
        "PATCH",
        "/api/tasks/{taskId}",
        handle_update_task,
        "Edit a task's title, description, labels, dates or done flag",
        TAG,
        request=UpdateTaskBody,
        response=TaskOut,
        errors=(400, 412, 413, *_WRITE_ERRORS),
        headers=("If-Match", SOCKET_ID_HEADER),
        response_headers=_ETAG,
        examples=(
            {"title": "Fix the login form", "dueDate": None},
            {"dueComplete": True},
        ),
    ),
    Operation(
        "POST",
        "/api/tasks/{taskId}/move",
        handle_move_task,
        "Move a task to a place in a list of the same board",
        TAG,
        request=MoveTaskBody,
        response=TaskOut,
        errors=(400, 413, *_WRITE_ERRORS),
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
        examples=(
            {
                "listId": "8a1f0c2e4b6d4f7a9c3e5b7d9f1a2c4e",
                "beforeId": "0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b",
            },
        ),
    ),
    Operation(
        "PUT",
        "/api/tasks/{taskId}/assignees/{userId}",
        handle_assign_task,
        "Assign a board member to a task (idempotent)",
        TAG,
        response=TaskOut,
        errors=_WRITE_ERRORS,
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
    ),
    Operation(
        "DELETE",
        "/api/tasks/{taskId}/assignees/{userId}",
        handle_unassign_task,
        "Unassign a user from a task (idempotent)",
        TAG,
        response=TaskOut,
        errors=_WRITE_ERRORS,
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
    ),
    Operation(
        "DELETE",
        "/api/tasks/{taskId}",
        handle_delete_task,
        "Delete an archived task for good",
        TAG,
        status=204,
        errors=_WRITE_ERRORS,
        headers=(SOCKET_ID_HEADER,),
    ),
    Operation(
        "POST",
        "/api/tasks/{taskId}/archive",
        handle_archive_task,
        "Archive a task (hidden from the board, restorable)",
        TAG,
        response=TaskOut,
        errors=_WRITE_ERRORS,
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
    ),
    Operation(
        "POST",
        "/api/tasks/{taskId}/restore",
        handle_restore_task,
        "Restore an archived task to its place, or to the end of another list",
        TAG,
        request=RestoreTaskBody,
        request_optional=True,
        response=TaskOut,
        errors=(400, 413, *_WRITE_ERRORS),
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
        examples=({"listId": "8a1f0c2e4b6d4f7a9c3e5b7d9f1a2c4e"},),
    ),
]


# --- checklists -------------------------------------------------------------------------------

CHECKLISTS_TAG = "checklists"


def _checklists(detail: TaskDetail, *, created: str | None = None) -> web.Response:
    """The task's checklists (ETag = the task's version); a create answers 201 with
    ``Location`` naming what it made."""
    headers = {"Location": created} if created is not None else None
    return json_response(
        checklists_json(detail.task, detail.checklists),
        status=201 if created is not None else 200,
        version=detail.task.version,
        headers=headers,
    )


async def handle_get_checklists(request: web.Request) -> web.Response:
    """GET /api/tasks/{taskId}/checklists (304 when ``If-None-Match`` names the task's
    version)"""
    caller = await authenticated_caller(request)
    detail = await _service(request).task_detail(caller, _path_id(request, "taskId", "task"))
    if not_modified_since(request, etag(detail.task.version)):
        return not_modified(etag(detail.task.version))
    return _checklists(detail)


def _checklist_ids(request: web.Request) -> tuple[str, str]:
    return _path_id(request, "taskId", "task"), _path_id(request, "checklistId", "checklist")


async def handle_create_checklist(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/checklists"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    body = await read_json(request, CreateChecklistBody)
    detail = await _service(request).create_checklist(
        caller,
        task_id,
        body.model_dump(by_alias=True, exclude_none=True),
        expected_version(request),
    )
    if detail.created_id is None:  # an earlier create named the same id
        return _checklists(detail)
    return _checklists(detail, created=f"/api/tasks/{task_id}/checklists/{detail.created_id}")


async def handle_update_checklist(request: web.Request) -> web.Response:
    """PATCH /api/tasks/{taskId}/checklists/{checklistId}"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    body = await read_json(request, UpdateChecklistBody)
    detail = await _service(request).update_checklist(
        caller,
        task_id,
        checklist_id,
        body.model_dump(by_alias=True, exclude_none=True),
        expected_version(request),
    )
    return _checklists(detail)


async def handle_delete_checklist(request: web.Request) -> web.Response:
    """DELETE /api/tasks/{taskId}/checklists/{checklistId}"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    detail = await _service(request).delete_checklist(
        caller, task_id, checklist_id, expected_version(request)
    )
    return _checklists(detail)


async def handle_create_item(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/checklists/{checklistId}/items"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    body = await read_json(request, CreateItemBody)
    detail = await _service(request).create_item(
        caller,
        task_id,
        checklist_id,
        body.model_dump(by_alias=True, exclude_none=True),
        expected_version(request),
    )
    if detail.created_id is None:  # an earlier create named the same id
        return _checklists(detail)
    location = f"/api/tasks/{task_id}/checklists/{checklist_id}/items/{detail.created_id}"
    return _checklists(detail, created=location)


async def handle_update_item(request: web.Request) -> web.Response:
    """PATCH /api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    item_id = _path_id(request, "itemId", "checklist item")
    body = await read_json(request, UpdateItemBody)
    detail = await _service(request).update_item(
        caller, task_id, checklist_id, item_id, body.requested(), expected_version(request)
    )
    return _checklists(detail)


async def handle_move_item(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}/move"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    item_id = _path_id(request, "itemId", "checklist item")
    body = await read_json(request, MoveItemBody)
    detail = await _service(request).move_item(
        caller,
        task_id,
        checklist_id,
        item_id,
        body.model_dump(by_alias=True, exclude_none=True),
        expected_version(request),
    )
    return _checklists(detail)


async def handle_delete_item(request: web.Request) -> web.Response:
    """DELETE /api/tasks/{taskId}/checklists/{checklistId}/items/{itemId}"""
    caller = await authenticated_caller(request)
    task_id, checklist_id = _checklist_ids(request)
    item_id = _path_id(request, "itemId", "checklist item")
    detail = await _service(request).delete_item(
        caller, task_id, checklist_id, item_id, expected_version(request)
    )
    return _checklists(detail)


_CHECKLIST = "/api/tasks/{taskId}/checklists/{checklistId}"
_ITEM = f"{_CHECKLIST}/items/{{itemId}}"
_CHECKLIST_WRITE_HEADERS = ("If-Match", SOCKET_ID_HEADER)
_CHECKLIST_WRITE_ERRORS = (412, *_WRITE_ERRORS)
_CHECKLIST_BODY_ERRORS = (400, 413, *_CHECKLIST_WRITE_ERRORS)

OPERATIONS += [
    Operation(
        "GET",
        "/api/tasks/{taskId}/checklists",
        handle_get_checklists,
        "A task's checklists with their items, in order (ETag = the task's version)",
        CHECKLISTS_TAG,
        response=ChecklistsOut,
        errors=_READ_ERRORS,
        headers=("If-None-Match",),
        response_headers=_ETAG,
    ),
    Operation(
        "POST",
        "/api/tasks/{taskId}/checklists",
        handle_create_checklist,
        "Add a checklist to a task (last unless anchored); answers the task's "
        "checklists, Location names the new checklist",
        CHECKLISTS_TAG,
        status=201,
        request=CreateChecklistBody,
        response=ChecklistsOut,
        errors=_CHECKLIST_BODY_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=("ETag", "Location"),
        examples=({"title": "Before release"},),
    ),
    Operation(
        "PATCH",
        _CHECKLIST,
        handle_update_checklist,
        "Rename a checklist and/or move it among the task's checklists",
        CHECKLISTS_TAG,
        request=UpdateChecklistBody,
        response=ChecklistsOut,
        errors=_CHECKLIST_BODY_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=_ETAG,
        examples=({"title": "Release"}, {"afterId": "0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"}),
    ),
    Operation(
        "DELETE",
        _CHECKLIST,
        handle_delete_checklist,
        "Delete a checklist with its items; answers the task's checklists",
        CHECKLISTS_TAG,
        response=ChecklistsOut,
        errors=_CHECKLIST_WRITE_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=_ETAG,
    ),
    Operation(
        "POST",
        f"{_CHECKLIST}/items",
        handle_create_item,
        "Add an item to a checklist (last unless anchored); Location names the new item",
        CHECKLISTS_TAG,
        status=201,
        request=CreateItemBody,
        response=ChecklistsOut,
        errors=_CHECKLIST_BODY_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=("ETag", "Location"),
        examples=({"text": "Buy milk"}, {"text": "Write notes", "dueDate": "2026-12-24T17:00:00Z"}),
    ),
    Operation(
        "PATCH",
        _ITEM,
        handle_update_item,
        "Edit, tick or untick, assign or date a checklist item",
        CHECKLISTS_TAG,
        request=UpdateItemBody,
        response=ChecklistsOut,
        errors=_CHECKLIST_BODY_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=_ETAG,
        examples=({"done": True}, {"text": "Buy oat milk", "assigneeId": None}),
    ),
    Operation(
        "POST",
        f"{_ITEM}/move",
        handle_move_item,
        "Move a checklist item within its checklist or to another checklist of the task",
        CHECKLISTS_TAG,
        request=MoveItemBody,
        response=ChecklistsOut,
        errors=_CHECKLIST_BODY_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=_ETAG,
        examples=({"beforeId": "0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"},),
    ),
    Operation(
        "DELETE",
        _ITEM,
        handle_delete_item,
        "Delete a checklist item; answers the task's checklists",
        CHECKLISTS_TAG,
        response=ChecklistsOut,
        errors=_CHECKLIST_WRITE_ERRORS,
        headers=_CHECKLIST_WRITE_HEADERS,
        response_headers=_ETAG,
    ),
]


# --- comments -------------------------------------------------------------------------------------


def _comments(request: web.Request) -> CommentService:
    return request.app[COMMENT_SERVICE]


async def handle_list_comments(request: web.Request) -> web.Response:
    """GET /api/tasks/{taskId}/comments"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    query = validate(ListCommentsQuery, dict(request.query))
    items, next_cursor = await _comments(request).list_comments(
        caller, task_id, query.limit, query.cursor
    )
    return json_response({"items": [comment_json(c) for c in items], "next": next_cursor})


async def handle_create_comment(request: web.Request) -> web.Response:
    """POST /api/tasks/{taskId}/comments"""
    caller = await authenticated_caller(request)
    task_id = _path_id(request, "taskId", "task")
    body = await read_json(request, CreateCommentBody)
    comments = _comments(request)
    given = None if body.id is None else await comments.given_comment(caller, task_id, body.id)
    if given is not None:
        return json_response(comment_json(given), version=given.version)
    imported = (
        None
        if body.imported is None
        else ImportedFrom(body.imported.author_name, body.imported.created_at)
    )
    comment = await comments.create_comment(
        caller, task_id, body.text, comment_id=body.id, imported=imported
    )
    return json_response(comment_json(comment), status=201, version=comment.version)


async def handle_update_comment(request: web.Request) -> web.Response:
    """PATCH /api/comments/{commentId}"""
    caller = await authenticated_caller(request)
    comment_id = _path_id(request, "commentId", "comment")
    body = await read_json(request, CommentBody)
    comment = await _comments(request).update_comment(caller, comment_id, body.text)
    return json_response(comment_json(comment), version=comment.version)


async def handle_delete_comment(request: web.Request) -> web.Response:
    """DELETE /api/comments/{commentId}"""
    caller = await authenticated_caller(request)
    comment_id = _path_id(request, "commentId", "comment")
    await _comments(request).delete_comment(caller, comment_id)
    return web.Response(status=204)


OPERATIONS += [
    Operation(
        "GET",
        "/api/tasks/{taskId}/comments",
        handle_list_comments,
        "A task's comments, newest first (cursor-paginated)",
        TAG,
        query=ListCommentsQuery,
        response=CommentPage,
        errors=(*_READ_ERRORS, 422),
    ),
    Operation(
        "POST",
        "/api/tasks/{taskId}/comments",
        handle_create_comment,
        "Comment on a task (owners and editors); @[label](userId) mentions board members",
        TAG,
        status=201,
        request=CreateCommentBody,
        response=CommentOut,
        errors=(400, 413, *_WRITE_ERRORS),
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
        examples=(
            {"text": "Can you **ship** it, @[Ada Lovelace](9f1c0c2e4b6d4f7a9c3e5b7d9f1a2c4e)?"},
        ),
    ),
    Operation(
        "PATCH",
        "/api/comments/{commentId}",
        handle_update_comment,
        "Edit a comment's text (its author)",
        TAG,
        request=CommentBody,
        response=CommentOut,
        errors=(400, 413, *_WRITE_ERRORS),
        headers=(SOCKET_ID_HEADER,),
        response_headers=_ETAG,
        examples=({"text": "Shipped in `v2.1`."},),
    ),
    Operation(
        "DELETE",
        "/api/comments/{commentId}",
        handle_delete_comment,
        "Delete a comment (its author or the board's owner)",
        TAG,
        status=204,
        errors=_WRITE_ERRORS,
        headers=(SOCKET_ID_HEADER,),
    ),
    Operation(
        "GET",
        "/api/search",
        handle_search,
        "Search the tasks and comments of every board the caller belongs to (ranked, "
        "cursor-paginated)",
        "search",
        query=SearchQuery,
        response=SearchPage,
        errors=(422, 503),
    ),
]
