"""RFC 9457 problem+json for every failure, so clients never see HTML, text or a traceback.

Handlers raise :class:`Problem` (or aiohttp's HTTP exceptions), use cases raise the HTTP-free
refusals of :mod:`hintro_shared.refusals`; :func:`problem_middleware` turns everything,
unexpected exceptions included, into ``application/problem+json``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hintro_shared import jsonutil
from hintro_shared.errors import UNAVAILABLE_ERRORS
from hintro_shared.refusals import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RuleBroken,
    Unauthenticated,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class Problem(Exception):
    """An error with an HTTP status that reaches the client as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = type_
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


def problem_response(problem: Problem) -> web.Response:
    """Render a :class:`Problem` as an aiohttp response."""
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return web.Response(
        status=problem.status,
        body=jsonutil.dumps_bytes(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def not_found(what: str = "resource") -> Problem:
    """404 used both for missing things and for things the caller may not know exist."""
    return Problem(404, f"The {what} does not exist or you do not have access to it.")


def forbidden(detail: str = "Your role on this board does not allow this action.") -> Problem:
    """403 for a member without the needed role."""
    return Problem(403, detail)


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    """401 with the ``WWW-Authenticate`` challenge RFC 6750 asks for."""
    return Problem(
        401, detail, headers={"WWW-Authenticate": 'Bearer realm="hintro", error="invalid_token"'}
    )


def refusal_problem(exc: DomainError) -> Problem:
    """The problem a use case's refusal is answered with (the one mapping of the suite)."""
    if isinstance(exc, NotFound):
        return Problem(404, exc.detail)
    if isinstance(exc, Forbidden):
        return Problem(403, exc.detail)
    if isinstance(exc, Unauthenticated):
        return Problem(401, exc.detail)
    if isinstance(exc, RuleBroken):
        error: dict[str, Any] = {"loc": list(exc.loc), "msg": exc.message}
        if exc.type is not None:
            error["type"] = exc.type
        return Problem(422, exc.detail, errors=[error])
    if isinstance(exc, Conflict):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Problem(409, exc.detail, headers=headers)
    if isinstance(exc, PreconditionFailed):
        return Problem(412, exc.detail, title="Precondition Failed")
    return Problem(422, exc.detail)


def validation_problem(exc: ValidationError) -> Problem:
    """422 listing each failing field, without echoing the rejected input back."""
    errors = [
        {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    return Problem(422, "The request failed validation.", errors=errors)


async def read_json(request: web.Request, model: type[M]) -> M:
    """Parse and validate a JSON body: 400 for wrong content type or malformed JSON, 413 past
    the body limit (aiohttp's ``client_max_size``), 422 for schema failures."""
    if request.content_type != "application/json":
        raise Problem(400, "The body must be JSON with Content-Type: application/json.")
    raw = await request.read()
    try:
        data = jsonutil.loads(raw)
    except ValueError:
        raise Problem(400, "The body is not valid JSON.") from None
    return validate(model, data)


def validate(model: type[M], data: Any) -> M:
    """Validate already-parsed data against ``model``, raising a 422 :class:`Problem`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def _from_http_exception(exc: web.HTTPException) -> Problem:
    headers = {
        k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after", "location"}
    }
    if exc.status == 413:
        return Problem(413, "The request body is larger than the 1 MiB limit.", headers=headers)
    if exc.status == 404:
        return Problem(404, "No such route.", headers=headers)
    if exc.status == 405:
        return Problem(405, "This method is not allowed on this route.", headers=headers)
    return Problem(exc.status, exc.reason, headers=headers)


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn every error into problem+json; log unexpected ones with their traceback."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Problem as problem:
        return problem_response(problem)
    except DomainError as exc:
        return problem_response(refusal_problem(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(_from_http_exception(exc))
    except ValidationError as exc:
        return problem_response(validation_problem(exc))
    except UNAVAILABLE_ERRORS as exc:
        # A dependency is down: answer fast and let the client retry; the connection heals itself.
        _log.warning("dependency unavailable on %s: %s", request.path, type(exc).__name__)
        return problem_response(
            Problem(
                503,
                "A dependency of this service is unavailable; retry shortly.",
                headers={"Retry-After": "1"},
            )
        )
    except Exception:
        _log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(Problem(500, "An internal error occurred."))
