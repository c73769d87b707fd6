"""A stand-in for the board service, for the tests of services that call it: it holds boards,
members and lists (the authoritative state) and answers ``GET /api/boards/{boardId}`` like the
board service does, 404 to non-members."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer

from hintro_shared.authz import Role
from hintro_shared.jsonutil import dumps_bytes


@dataclass
class FakeList:
    """A list as the stand-in board service holds it."""

    id: str
    position: str
    version: int = 1

    def to_json(self, board_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "boardId": board_id,
            "title": f"List {self.id[:4]}",
            "position": self.position,
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "version": self.version,
        }


@dataclass
class FakeBoard:
    """A board as the stand-in board service holds it (the authoritative state)."""

    id: str
    owner: str
    version: int = 1
    members: dict[str, Role] = field(default_factory=dict)
    lists: list[FakeList] = field(default_factory=list)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Label id -> (name, colour)."""

    @property
    def list_ids(self) -> list[str]:
        return [item.id for item in self.lists]

    def member_with(self, role: Role) -> str:
        """Some member holding ``role``."""
        return next(user for user, held in self.members.items() if held == role)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": "Board",
            "description": "",
            "ownerId": self.owner,
            "members": [{"userId": u, "role": r.value} for u, r in self.members.items()],
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "version": self.version,
            "lists": [item.to_json(self.id) for item in self.lists],
            "labels": [
                {"id": label_id, "name": name, "color": color}
                for label_id, (name, color) in self.labels.items()
            ],
        }


class FakeBoardService:
    """Answers ``GET /api/boards/{boardId}`` like the board service: 404 to non-members.

    ``calls`` records (board id, ``X-Request-Id``) of every request; ``failing`` makes it 503."""

    def __init__(self) -> None:
        self.boards: dict[str, FakeBoard] = {}
        self.calls: list[tuple[str, str | None]] = []
        self.failing = False

    async def get_board(self, request: web.Request) -> web.Response:
        board_id = request.match_info["boardId"]
        self.calls.append((board_id, request.headers.get("X-Request-Id")))
        if self.failing:
            return web.Response(status=503)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = jwt.decode(token, options={"verify_signature": False})["sub"]
        board = self.boards.get(board_id)
        if board is None or user not in board.members:
            return web.json_response({"status": 404}, status=404)
        return web.Response(body=dumps_bytes(board.to_json()), content_type="application/json")

    def calls_for(self, board_id: str) -> int:
        return sum(1 for called, _ in self.calls if called == board_id)


@contextlib.asynccontextmanager
async def serving_board_service(
    service: FakeBoardService | None = None,
) -> AsyncIterator[tuple[FakeBoardService, str]]:
    """``service`` (a new one by default) on a loopback port: yields it and its base URL."""
    service = service or FakeBoardService()
    app = web.Application()
    app.router.add_get("/api/boards/{boardId}", service.get_board)
    async with TestServer(app) as server:
        yield service, str(server.make_url(""))
