"""The board service's HTTP surface, declared once as :data:`OPERATIONS`.

Every handler verifies the bearer token itself (defence in depth; the gateway checks too),
then validates the body, then calls a use case; the use cases' refusals
(:mod:`hintro_shared.refusals`) become problem+json in the shared problem middleware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from hintro_board.config import Settings
from hintro_board.domain import Placement, is_valid_user_id
from hintro_board.labels import LabelService
from hintro_board.lists import ListService
from hintro_board.schemas import (
    BoardCreate,
    BoardOut,
    BoardPage,
    BoardPageQuery,
    BoardPatch,
    BoardStatesQuery,
    BoardWithListsOut,
    LabelCreate,
    LabelOut,
    LabelPatch,
    ListCreate,
    ListOut,
    ListPatch,
    ListsQuery,
    MemberAdd,
    MemberOut,
    MemberPatch,
    TransferRequest,
    UserProfiles,
    UsersQuery,
    UserSummary,
    board_json,
    label_json,
    list_json,
    member_json,
    profile_json,
    summary_json,
)
from hintro_board.service import BoardService, Caller, PeopleService
from hintro_shared.authz import Role
from hintro_shared.http import SOCKET_ID_HEADER, json_response, stored_json_response
from hintro_shared.internal import is_internal_caller
from hintro_shared.internal import not_found as internal_not_found
from hintro_shared.openapi import Operation
from hintro_shared.pagination import decode_cursor, encode_cursor, invalid_cursor
from hintro_shared.problems import read_json, unauthorized, validate
from hintro_shared.tokens import authenticated_caller
from hintro_shared.versioning import expected_version

BOARD_SETTINGS = web.AppKey("hintro.board.settings", Settings)
BOARD_SERVICE = web.AppKey("hintro.board.boards", BoardService)
LIST_SERVICE = web.AppKey("hintro.board.lists", ListService)
LABEL_SERVICE = web.AppKey("hintro.board.labels", LabelService)
PEOPLE_SERVICE = web.AppKey("hintro.board.people", PeopleService)


async def _caller(request: web.Request) -> Caller:
    caller = await authenticated_caller(request)
    if not is_valid_user_id(caller.user_id):
        raise unauthorized("The token's subject is not a valid user id.")
    return caller


def _cursor_after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor)
    millis, board_id = key.get("t"), key.get("id")
    if not isinstance(millis, int) or not isinstance(board_id, str):
        raise invalid_cursor()
    return datetime.fromtimestamp(millis / 1000, tz=UTC), board_id


def _cursor_for(after: tuple[datetime, str] | None) -> str | None:
    if after is None:
        return None
    created_at, board_id = after
    return encode_cursor({"t": round(created_at.timestamp() * 1000), "id": board_id})


# --- boards ------------------------------------------------------------------------------------


async def handle_list_boards(request: web.Request) -> web.Response:
    """The boards the caller is a member of, newest first."""
    caller = await _caller(request)
    query = validate(BoardPageQuery, dict(request.query))
    service = request.app[BOARD_SERVICE]
    boards, after = await service.list_boards(
        caller, query.limit, _cursor_after(query.cursor), archived=query.archived
    )
    people = await service.people(boards)
    return json_response(
        {"items": [board_json(board, people) for board in boards], "next": _cursor_for(after)}
    )


async def handle_create_board(request: web.Request) -> web.Response:
    """Create a board; the caller becomes its owner."""
    caller = await _caller(request)
    body = await read_json(request, BoardCreate)
    service = request.app[BOARD_SERVICE]
    given = None if body.id is None else await service.given_board(caller, body.id)
    board = given or await service.create_board(
        caller, body.title, body.description, board_id=body.id
    )
    people = await service.people([board])
    return json_response(
        board_json(board, people),
        status=201 if given is None else 200,
        version=board.version,
        headers={"Location": f"/api/boards/{board.id}"},
    )


async def handle_board_states(request: web.Request) -> web.Response:
    """``POST /internal/board-states {"ids": [...]}``: the live boards among ``ids`` with
    their version and members, and the ids that are not live (deleted). Only for the services
    that reconcile their board projection (hintro_shared.boardview.reconcile); 404 to anyone
    else."""
    if not is_internal_caller(request, request.app[BOARD_SETTINGS].internal_token):
        return internal_not_found()
    body = await read_json(request, BoardStatesQuery)
    ids = list(dict.fromkeys(body.ids))
    boards = await request.app[BOARD_SERVICE].board_states(ids)
    found = {board.id for board in boards}
    return json_response(
        {
            "boards": [
                {
                    "id": board.id,
                    "version": board.version,
                    "members": [{"userId": m.user_id, "role": m.role.value} for m in board.members],
                }
                for board in boards
            ],
            "missing": [board_id for board_id in ids if board_id not in found],
        }
    )


async def handle_get_board(request: web.Request) -> web.Response:
    """A board with its lists in order (served from the read cache when current); 304 when
    ``If-None-Match`` names its current ETag; the stored gzip bytes for a client that accepts
    gzip (the gateway asks for gzip only then, and passes them through)."""
    caller = await _caller(request)
    read = await request.app[BOARD_SERVICE].read_board(caller, request.match_info["boardId"])
    return stored_json_response(request, read.etag, read.gzipped, lambda: read.body)


async def handle_update_board(request: web.Request) -> web.Response:
    """Change a board's title and/or description (``If-Match`` makes it conditional)."""
    caller = await _caller(request)
    expected = expected_version(request)
    body = await read_json(request, BoardPatch)
    service = request.app[BOARD_SERVICE]
    board = await service.update_board(
        caller, request.match_info["boardId"], body.model_dump(exclude_unset=True), expected
    )
    return json_response(board_json(board, await service.people([board])), version=board.version)


async def handle_archive_board(request: web.Request) -> web.Response:
    """Archive a board (owner only): hidden from the board lists, restorable."""
    caller = await _caller(request)
    service = request.app[BOARD_SERVICE]
    board = await service.archive_board(caller, request.match_info["boardId"])
    return json_response(board_json(board, await service.people([board])), version=board.version)


async def handle_restore_board(request: web.Request) -> web.Response:
    """Restore an archived board (owner only)."""
    caller = await _caller(request)
    service = request.app[BOARD_SERVICE]
    board = await service.restore_board(caller, request.match_info["boardId"])
    return json_response(board_json(board, await service.people([board])), version=board.version)


async def handle_delete_board(request: web.Request) -> web.Response:
    """Delete an archived board for good (owner only); its lists, tasks and activity go
    too."""
    caller = await _caller(request)
    await request.app[BOARD_SERVICE].delete_board(caller, request.match_info["boardId"])
    return web.Response(status=204)


# --- members -----------------------------------------------------------------------------------


async def handle_add_member(request: web.Request) -> web.Response:
    """Add a registered user (by id or e-mail) as editor (default) or viewer."""
    caller = await _caller(request)
    body = await read_json(request, MemberAdd)
    member = await request.app[BOARD_SERVICE].add_member(
        caller, request.match_info["boardId"], body.user_id, body.email, Role(body.role)
    )
    people = await request.app[PEOPLE_SERVICE].known([member.user_id])
    return json_response(member_json(member, people), status=201)


async def handle_change_member_role(request: web.Request) -> web.Response:
    """Make a member an editor or a viewer (owner only)."""
    caller = await _caller(request)
    body = await read_json(request, MemberPatch)
    member = await request.app[BOARD_SERVICE].change_member_role(
        caller, request.match_info["boardId"], request.match_info["userId"], Role(body.role)
    )
    people = await request.app[PEOPLE_SERVICE].known([member.user_id])
    return json_response(member_json(member, people))


async def handle_remove_member(request: web.Request) -> web.Response:
    """Remove a member (owner), or leave the board (any member, their own id)."""
    caller = await _caller(request)
    await request.app[BOARD_SERVICE].remove_member(
        caller, request.match_info["boardId"], request.match_info["userId"]
    )
    return web.Response(status=204)


async def handle_transfer_ownership(request: web.Request) -> web.Response:
    """Make another member the owner (owner only); the old owner becomes an editor."""
    caller = await _caller(request)
    body = await read_json(request, TransferRequest)
    service = request.app[BOARD_SERVICE]
    board = await service.transfer_ownership(caller, request.match_info["boardId"], body.user_id)
    return json_response(board_json(board, await service.people([board])), version=board.version)


# --- people ------------------------------------------------------------------------------------


async def handle_find_users(request: web.Request) -> web.Response:
    """Public profiles by id (of people sharing a board with the caller), or one registered
    user by e-mail address (to invite them)."""
    caller = await _caller(request)
    query = validate(UsersQuery, dict(request.query))
    people = request.app[PEOPLE_SERVICE]
    if query.email is not None:
        return json_response(summary_json(await people.by_email(query.email)))
    profiles = await people.profiles(caller, query.id_list())
    return json_response({"items": [profile_json(profile) for profile in profiles]})


# --- lists -------------------------------------------------------------------------------------


async def handle_board_lists(request: web.Request) -> web.Response:
    """A board's lists in order."""
    caller = await _caller(request)
    query = validate(ListsQuery, dict(request.query))
    lists = await request.app[LIST_SERVICE].lists_of(
        caller, request.match_info["boardId"], archived=query.archived
    )
    return json_response([list_json(item) for item in lists])


async def handle_create_list(request: web.Request) -> web.Response:
    """Create a list after/before an anchor, or at the end."""
    caller = await _caller(request)
    body = await read_json(request, ListCreate)
    lists, board_id = request.app[LIST_SERVICE], request.match_info["boardId"]
    given = None if body.id is None else await lists.given_list(caller, board_id, body.id)
    board_list = given or await lists.create_list(
        caller,
        board_id,
        body.title,
        Placement(after_id=body.after_id, before_id=body.before_id),
        list_id=body.id,
    )
    status = 201 if given is None else 200
    return json_response(list_json(board_list), status=status, version=board_list.version)


async def handle_update_list(request: web.Request) -> web.Response:
    """Rename and/or move a list (``If-Match`` makes it conditional)."""
    caller = await _caller(request)
    expected = expected_version(request)
    body = await read_json(request, ListPatch)
    board_list = await request.app[LIST_SERVICE].update_list(
        caller,
        request.match_info["listId"],
        body.title,
        Placement(after_id=body.after_id, before_id=body.before_id),
        expected,
    )
    return json_response(list_json(board_list), version=board_list.version)


async def handle_archive_list(request: web.Request) -> web.Response:
    """Archive a list with its tasks (kept in place, restorable)."""
    caller = await _caller(request)
    board_list = await request.app[LIST_SERVICE].archive_list(caller, request.match_info["listId"])
    return json_response(list_json(board_list), version=board_list.version)


async def handle_restore_list(request: web.Request) -> web.Response:
    """Restore an archived list, at its place, with the tasks archived with it."""
    caller = await _caller(request)
    board_list = await request.app[LIST_SERVICE].restore_list(caller, request.match_info["listId"])
    return json_response(list_json(board_list), version=board_list.version)


async def handle_delete_list(request: web.Request) -> web.Response:
    """Delete an archived list for good; its tasks go too."""
    caller = await _caller(request)
    await request.app[LIST_SERVICE].delete_list(caller, request.match_info["listId"])
    return web.Response(status=204)


# --- labels ------------------------------------------------------------------------------------


async def handle_board_labels(request: web.Request) -> web.Response:
    """A board's labels in the order they were made."""
    caller = await _caller(request)
    labels = await request.app[LABEL_SERVICE].labels_of(caller, request.match_info["boardId"])
    return json_response([label_json(label) for label in labels])


async def handle_create_label(request: web.Request) -> web.Response:
    """Add a label to a board (owners and editors)."""
    caller = await _caller(request)
    body = await read_json(request, LabelCreate)
    labels, board_id = request.app[LABEL_SERVICE], request.match_info["boardId"]
    given = None if body.id is None else await labels.given_label(caller, board_id, body.id)
    label = given or await labels.create_label(
        caller, board_id, body.name, body.color, label_id=body.id
    )
    return json_response(label_json(label), status=201 if given is None else 200)


async def handle_update_label(request: web.Request) -> web.Response:
    """Rename and/or recolour a label (owners and editors)."""
    caller = await _caller(request)
    body = await read_json(request, LabelPatch)
    label = await request.app[LABEL_SERVICE].update_label(
        caller, request.match_info["boardId"], request.match_info["labelId"], body.name, body.color
    )
    return json_response(label_json(label))


async def handle_delete_label(request: web.Request) -> web.Response:
    """Delete a label (owners and editors); every task loses it."""
    caller = await _caller(request)
    await request.app[LABEL_SERVICE].delete_label(
        caller, request.match_info["boardId"], request.match_info["labelId"]
    )
    return web.Response(status=204)


TAG = "boards"
_BOARD = "/api/boards/{boardId}"
_ETAG = ("ETag",)
OPERATIONS: list[Operation] = [
    Operation("GET", "/api/boards", handle_list_boards, "List my boards", TAG,
              response=BoardPage, query=BoardPageQuery, errors=(422,)),
    Operation("POST", "/api/boards", handle_create_board, "Create a board", TAG,
              status=201, request=BoardCreate, response=BoardOut, errors=(400, 413),
              headers=(SOCKET_ID_HEADER,), response_headers=("ETag", "Location"),
              examples=({"title": "Launch", "description": "Q3 plans"},)),
    Operation("GET", _BOARD, handle_get_board, "Get a board with its lists", TAG,
              response=BoardWithListsOut, errors=(404,), headers=("If-None-Match",),
              response_headers=_ETAG),
    Operation("PATCH", _BOARD, handle_update_board, "Update a board", TAG,
              request=BoardPatch, response=BoardOut, errors=(400, 403, 404, 409, 412, 413),
              headers=("If-Match", SOCKET_ID_HEADER), response_headers=_ETAG,
              examples=({"title": "Launch v2"},)),
    Operation("DELETE", _BOARD, handle_delete_board, "Delete an archived board for good", TAG,
              status=204, errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,)),
    Operation("POST", f"{_BOARD}/archive", handle_archive_board, "Archive a board", TAG,
              response=BoardOut, errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,),
              response_headers=_ETAG),
    Operation("POST", f"{_BOARD}/restore", handle_restore_board, "Restore an archived board",
              TAG, response=BoardOut, errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,),
              response_headers=_ETAG),
    Operation("POST", f"{_BOARD}/members", handle_add_member, "Add a member", TAG,
              status=201, request=MemberAdd, response=MemberOut,
              errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,),
              examples=({"email": "bob@example.com", "role": "viewer"},)),
    Operation("PATCH", f"{_BOARD}/members/{{userId}}", handle_change_member_role,
              "Change a member's role", TAG, request=MemberPatch, response=MemberOut,
              errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,),
              examples=({"role": "editor"},)),
    Operation("DELETE", f"{_BOARD}/members/{{userId}}", handle_remove_member,
              "Remove a member or leave a board", TAG, status=204,
              errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,)),
    Operation("POST", f"{_BOARD}/transfer", handle_transfer_ownership,
              "Transfer ownership to another member", TAG, request=TransferRequest,
              response=BoardOut, errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,)),
    Operation("GET", "/api/users", handle_find_users,
              "Public profiles by id, or a user by e-mail address", "users",
              response=UserProfiles | UserSummary, query=UsersQuery, errors=(404, 422)),
    Operation("GET", f"{_BOARD}/lists", handle_board_lists, "List a board's lists", "lists",
              response=list[ListOut], query=ListsQuery, errors=(404, 422)),
    Operation("POST", f"{_BOARD}/lists", handle_create_list, "Create a list", "lists",
              status=201, request=ListCreate, response=ListOut,
              errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,),
              response_headers=_ETAG, examples=({"title": "Done"},)),
    Operation("PATCH", "/api/lists/{listId}", handle_update_list, "Rename and/or move a list",
              "lists", request=ListPatch, response=ListOut,
              errors=(400, 403, 404, 409, 412, 413), headers=("If-Match", SOCKET_ID_HEADER),
              response_headers=_ETAG,
              examples=({"title": "Doing", "afterId": "8a1f0c2e4b6d4f7a9c3e5b7d9f1a2c4e"},)),
    Operation("DELETE", "/api/lists/{listId}", handle_delete_list,
              "Delete an archived list for good", "lists",
              status=204, errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,)),
    Operation("GET", f"{_BOARD}/labels", handle_board_labels, "List a board's labels", "labels",
              response=list[LabelOut], errors=(404,)),
    Operation("POST", f"{_BOARD}/labels", handle_create_label, "Create a label", "labels",
              status=201, request=LabelCreate, response=LabelOut,
              errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,),
              examples=({"name": "Bug", "color": "red"},)),
    Operation("PATCH", f"{_BOARD}/labels/{{labelId}}", handle_update_label,
              "Rename and/or recolour a label", "labels", request=LabelPatch, response=LabelOut,
              errors=(400, 403, 404, 409, 413), headers=(SOCKET_ID_HEADER,),
              examples=({"name": "Blocker", "color": "purple"},)),
    Operation("DELETE", f"{_BOARD}/labels/{{labelId}}", handle_delete_label,
              "Delete a label (it leaves every task)", "labels", status=204,
              errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,)),
    Operation("POST", "/api/lists/{listId}/archive", handle_archive_list,
              "Archive a list with its tasks", "lists", response=ListOut,
              errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,), response_headers=_ETAG),
    Operation("POST", "/api/lists/{listId}/restore", handle_restore_list,
              "Restore an archived list with the tasks archived with it", "lists",
              response=ListOut, errors=(403, 404, 409), headers=(SOCKET_ID_HEADER,),
              response_headers=_ETAG),
]  # fmt: skip
