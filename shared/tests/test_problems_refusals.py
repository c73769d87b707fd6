"""The one mapping of refusals to HTTP: a use case's refusal (:mod:`hintro_shared.refusals`)
raised through a handler becomes its problem+json in the shared problem middleware; other
errors stay internal errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app
from hintro_shared.refusals import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RuleBroken,
    Unauthenticated,
)

REFUSALS: dict[str, DomainError] = {
    "not-found": NotFound("board"),
    "forbidden": Forbidden(),
    "unauthenticated": Unauthenticated("The refresh token is invalid, expired or revoked."),
    "rule": RuleBroken(("body", "listId"), "no such list on this board"),
    "anchor": RuleBroken(
        ("body", "afterId"), "afterId names no list", type_="invalid_anchor", detail="afterId ..."
    ),
    "conflict": Conflict("The user is already a member of this board."),
    "contention": Conflict("Retry.", retry_after=1),
    "stale": PreconditionFailed(),
}


def _refusing(refusal: DomainError) -> Any:
    async def handler(_: web.Request) -> web.Response:
        raise refusal

    return handler


async def crash(_: web.Request) -> web.Response:
    raise KeyError("unrelated")


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = ServiceSettings(service_name="refusaltest", environment="test")
    app = create_base_app(settings)
    for name, refusal in REFUSALS.items():
        app.router.add_get(f"/{name}", _refusing(refusal))
    app.router.add_get("/crash", crash)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("not-found", 404, {"detail": "The board does not exist or you do not have access to it."}),
        ("forbidden", 403, {"detail": "Your role on this board does not allow this action."}),
        ("unauthenticated", 401, {"detail": "The refresh token is invalid, expired or revoked."}),
        (
            "rule",
            422,
            {
                "detail": "The request failed validation.",
                "errors": [{"loc": ["body", "listId"], "msg": "no such list on this board"}],
            },
        ),
        (
            "anchor",
            422,
            {
                "detail": "afterId ...",
                "errors": [
                    {
                        "loc": ["body", "afterId"],
                        "msg": "afterId names no list",
                        "type": "invalid_anchor",
                    }
                ],
            },
        ),
        ("conflict", 409, {"detail": "The user is already a member of this board."}),
        ("contention", 409, {"detail": "Retry."}),
        ("stale", 412, {"title": "Precondition Failed"}),
    ],
)
async def test_each_refusal_becomes_its_problem(
    client: TestClient[web.Request, web.Application],
    name: str,
    status: int,
    body: dict[str, Any],
) -> None:
    response = await client.get(f"/{name}")
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == status
    assert {key: problem.get(key) for key in body} == body
    if "errors" not in body:
        assert "errors" not in problem


async def test_only_a_retryable_conflict_says_when_to_retry(
    client: TestClient[web.Request, web.Application],
) -> None:
    assert (await client.get("/contention")).headers["Retry-After"] == "1"
    assert "Retry-After" not in (await client.get("/conflict")).headers
    assert "WWW-Authenticate" not in (await client.get("/unauthenticated")).headers


async def test_other_errors_stay_internal_errors(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/crash")
    assert response.status == 500
    assert response.content_type == "application/problem+json"
