"""HTTP surface of the activity service (docs/api.md, "Activity": the history and realtime's
replay); ``OPERATIONS`` declares it for routing and for OpenAPI."""

from __future__ import annotations

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
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.problems import not_found, validate
from hintro_shared.tokens import authenticated_caller

ACTIVITY_SERVICE = web.AppKey("hintro.activity.service", ActivityService)
TAG = "activity"


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
    page = await service.history(caller, board_id, history_query.limit, history_query.before)
    return json_response({"items": [entry_json(entry) for entry in page.items], "next": page.next})


OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/api/boards/{boardId}/activity",
        handle_board_activity,
        "The board's activity log: newest first by `before` cursor (a seq), or with "
        "`afterSeq` the entries after a seq in ascending order (realtime's replay)",
        TAG,
        query=ActivityQuery,
        response=ActivityPage | ActivityReplay,
        errors=(404, 422),
    ),
]
