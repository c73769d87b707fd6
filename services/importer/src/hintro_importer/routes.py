"""HTTP surface of the importer (docs/api.md, "Imports"); ``OPERATIONS`` declares it for
routing and for OpenAPI."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from hintro_importer.domain import is_safe_id
from hintro_importer.schemas import ImportList, ImportOut, import_json
from hintro_importer.service import ImportService
from hintro_shared.http import json_response
from hintro_shared.openapi import Operation
from hintro_shared.problems import Problem, not_found
from hintro_shared.tokens import authenticated_caller

IMPORT_SERVICE = web.AppKey("hintro.importer.service", ImportService)
MAX_BYTES = web.AppKey("hintro.importer.max_bytes", int)
TAG = "imports"
_CHUNK = 64 * 1024


class TrelloExport(BaseModel):
    """A Trello board export, the JSON file of Trello's "Export as JSON" (docs/api.md,
    "Imports", lists the fields read; every other field is ignored)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    lists: list[dict[str, Any]]
    cards: list[dict[str, Any]]


def _too_large(limit: int) -> Problem:
    mib = limit / (1024 * 1024)
    size = f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"
    return Problem(413, f"The file is larger than the {size} an import accepts.")


async def _read_upload(request: web.Request) -> bytes:
    """The body, up to the limit: 413 at once when ``Content-Length`` says more, or as soon
    as more arrives (a chunked upload)."""
    limit = request.app[MAX_BYTES]
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if request.content_type != "application/json":
        raise Problem(400, "The export must be sent as application/json.")
    parts: list[bytes] = []
    size = 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def _authorization(request: web.Request) -> str:
    return request.headers.get("Authorization", "")


def _import_id(request: web.Request) -> str:
    import_id = request.match_info["importId"]
    if not is_safe_id(import_id):
        raise not_found("import")
    return import_id


async def handle_create_import(request: web.Request) -> web.Response:
    """POST /api/imports"""
    caller = await authenticated_caller(request)
    raw = await _read_upload(request)
    job, created = await request.app[IMPORT_SERVICE].upload(caller, raw, _authorization(request))
    return json_response(
        import_json(job),
        status=202 if created else 200,
        headers={"Location": f"/api/imports/{job.id}"},
    )


async def handle_list_imports(request: web.Request) -> web.Response:
    """GET /api/imports"""
    caller = await authenticated_caller(request)
    jobs = await request.app[IMPORT_SERVICE].mine(caller)
    return json_response(ImportList(items=[import_json(job) for job in jobs]))


async def handle_get_import(request: web.Request) -> web.Response:
    """GET /api/imports/{importId}"""
    caller = await authenticated_caller(request)
    job = await request.app[IMPORT_SERVICE].get(caller, _import_id(request))
    return json_response(import_json(job))


async def handle_resume_import(request: web.Request) -> web.Response:
    """POST /api/imports/{importId}/resume"""
    caller = await authenticated_caller(request)
    service = request.app[IMPORT_SERVICE]
    job = await service.resume(caller, _import_id(request), _authorization(request))
    return json_response(import_json(job), status=202)


OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/api/imports",
        handle_create_import,
        "Import a Trello board export (JSON); the same file again answers its existing import",
        TAG,
        status=202,
        request=TrelloExport,
        response=ImportOut,
        errors=(400, 413, 422),
        response_headers=("Location",),
    ),
    Operation(
        "GET", "/api/imports", handle_list_imports, "My latest imports", TAG, response=ImportList
    ),
    Operation(
        "GET",
        "/api/imports/{importId}",
        handle_get_import,
        "One of my imports: its status and progress",
        TAG,
        response=ImportOut,
        errors=(404,),
    ),
    Operation(
        "POST",
        "/api/imports/{importId}/resume",
        handle_resume_import,
        "Continue a failed import from where it stopped (nothing is made twice)",
        TAG,
        status=202,
        response=ImportOut,
        errors=(404, 409),
    ),
]
