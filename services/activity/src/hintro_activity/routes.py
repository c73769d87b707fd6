"""HTTP surface of the activity service (docs/api.md, "Activity": the history and realtime's
replay); ``OPERATIONS`` declares it for routing and for OpenAPI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hintro_activity.domain import is_safe_id
from hintro_activity.schemas import (
    ActivityPage,
    ActivityQuery,
    ActivityReplay,
    HistoryQuery,
    ReplayQuery,
    entry_json,
)
from hintro_activity.service import ActivityService
from hintro_shared import jsonutil
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.pagination import decode_cursor, encode_cursor, invalid_cursor
from hintro_shared.problems import not_found, validate
from hintro_shared.tokens import authenticated_caller
from hintro_shared.versioning import content_etag, not_modified, not_modified_since

ACTIVITY_SERVICE = web.AppKey("hintro.activity.service", ActivityService)
TAG = "activity"


def _before(cursor: str | None) -> int | None:
    """The seq a history cursor holds: the page it starts holds entries below it."""
    if cursor is None:
        return None
    seq = decode_cursor(cursor).get("s")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise invalid_cursor()
    return seq


def _cursor(before: int | None) -> str | None:
    return None if before is None else encode_cursor({"s": before})


def _history(request: web.Request, body: dict[str, Any]) -> web.Response:
    """A history page with an ETag that follows its bytes (a new entry, a healed summary);
    304 when ``If-None-Match`` names it."""
    data = jsonutil.dumps_bytes(body)
    tag = content_etag(data)
    if not_modified_since(request, tag):
        return not_modified(tag)
    return web.Response(body=data, content_type="application/json", headers={"ETag": tag})


async def handle_board_activity(request: web.Request) -> web.Response:
    """GET /api/boards/{boardId}/activity"""
    caller = await authenticated_caller(request)
    board_id = request.match_info["boardId"]
    if not is_safe_id(board_id):
        raise not_found("board")
    service = request.app[ACTIVITY_SERVICE]
    query = dict(request.query)
    if "afterSeq" in query:
        replay_query = validate(ReplayQuery, query)
        replay = await service.replay(caller, board_id, replay_query.after_seq, replay_query.limit)
        return json_response(
            {
                "items": [entry_json(entry) for entry in replay.items],
                "next": replay.next,
                "seq": replay.seq,
            }
        )
    history_query = validate(HistoryQuery, query)
    page = await service.history(
        caller, board_id, history_query.limit, _before(history_query.cursor)
    )
    return _history(
        request, {"items": [entry_json(entry) for entry in page.items], "next": _cursor(page.next)}
    )


OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/api/boards/{boardId}/activity",
        handle_board_activity,
        "The board's activity log: newest first by opaque `cursor` (ETag, 304 on "
        "If-None-Match), or with `afterSeq` the entries after a seq in ascending order "
        "(realtime's replay)",
        TAG,
        query=ActivityQuery,
        response=ActivityPage | ActivityReplay,
        errors=(404, 422, 503),
        headers=("If-None-Match",),
        response_headers=("ETag",),
    ),
]
