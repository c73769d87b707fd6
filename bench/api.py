"""The public API calls the benchmark seeds with (through the gateway), and its users."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

PASSWORD = "bench-password-1"  # noqa: S105 - the benchmark's throwaway users


class ApiError(RuntimeError):
    """A seeding call answered something else than expected."""


@dataclass
class User:
    """A registered, logged-in benchmark user."""

    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Its bearer header."""
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """JSON calls on one base URL with one pooled session."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base = base_url.rstrip("/")

    async def call(
        self,
        method: str,
        path: str,
        *,
        user: User | None = None,
        json: Any = None,
        expect: int = 200,
    ) -> Any:
        """One request; the decoded JSON body (None for 204); ApiError on another status."""
        headers = user.headers if user is not None else {}
        for attempt in range(5):
            async with self.session.request(
                method, self.base + path, json=json, headers=headers
            ) as response:
                if response.status == 429 and attempt < 4:
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                    continue
                if response.status != expect:
                    text = await response.text()
                    raise ApiError(f"{method} {path}: {response.status} {text[:300]}")
                if response.status == 204:
                    return None
                return await response.json()
        raise ApiError(f"{method} {path}: still rate limited")

    async def register_login(self, tag: str) -> User:
        """A new user (unique e-mail) with a fresh access token."""
        email = f"bench-{tag}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "password": PASSWORD, "name": f"Bench {tag}"}
        created = await self.call("POST", "/api/auth/register", json=body, expect=201)
        token = await self.login(email)
        return User(id=created["id"], email=email, token=token)

    async def login(self, email: str) -> str:
        """An access token for ``email``."""
        body = {"email": email, "password": PASSWORD}
        pair = await self.call("POST", "/api/auth/login", json=body)
        return str(pair["accessToken"])

    async def board(self, owner: User, title: str) -> str:
        """A new board's id."""
        created = await self.call(
            "POST", "/api/boards", user=owner, json={"title": title}, expect=201
        )
        return str(created["id"])

    async def add_member(self, owner: User, board_id: str, member: User, role: str) -> None:
        """Make ``member`` a member of the board. The board service learns of new users from
        ``user.registered`` events, so a user registered a moment ago may still be unknown
        (404): retry for a while."""
        deadline = asyncio.get_running_loop().time() + 20.0
        while True:
            try:
                await self.call(
                    "POST",
                    f"/api/boards/{board_id}/members",
                    user=owner,
                    json={"userId": member.id, "role": role},
                    expect=201,
                )
                return
            except ApiError as exc:
                if ": 404 " not in str(exc) or asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def list(self, user: User, board_id: str, title: str) -> str:
        """A new list (appended) and its id."""
        created = await self.call(
            "POST", f"/api/boards/{board_id}/lists", user=user, json={"title": title}, expect=201
        )
        return str(created["id"])

    async def task(self, user: User, board_id: str, list_id: str, title: str) -> str:
        """A new task (appended to the list) and its id."""
        body = {"listId": list_id, "title": title, "description": "Seeded by the benchmark."}
        created = await self.call(
            "POST", f"/api/boards/{board_id}/tasks", user=user, json=body, expect=201
        )
        return str(created["id"])


async def bounded(limit: int, jobs: list[Any]) -> list[Any]:
    """Await coroutines with at most ``limit`` running at once, results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with semaphore:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))
