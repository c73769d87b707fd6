"""Opaque cursor pagination: the cursor encodes the sort key of the last item served, so a page
is an index range scan (no ``skip``) and items added meanwhile neither repeat nor vanish."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hintro_shared import jsonutil
from hintro_shared.refusals import RuleBroken

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class PageQuery(BaseModel):
    """``?limit=&cursor=`` as most list routes take them."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=512)


def encode_cursor(key: dict[str, Any]) -> str:
    """Encode the last item's sort key as a URL-safe opaque string."""
    return base64.urlsafe_b64encode(jsonutil.dumps_bytes(key)).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor from :func:`encode_cursor`; 422 if it was not made by us."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        value = jsonutil.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, dict):
        raise invalid_cursor()
    return value


def older_than(
    query: dict[str, Any], before: tuple[Any, str] | None, *, field: str = "createdAt"
) -> dict[str, Any]:
    """``query`` narrowed to the items after ``before`` (the last served item's ``field`` and
    ``_id``) in newest-first order: the range a descending (field, _id) index answers."""
    if before is None:
        return query
    at, last_id = before
    return {
        "$and": [
            query,
            {"$or": [{field: {"$lt": at}}, {field: at, "_id": {"$lt": last_id}}]},
        ]
    }


def invalid_cursor() -> RuleBroken:
    """422 for a cursor we did not make (or whose fields are not what the route expects)."""
    return RuleBroken(("query", "cursor"), "invalid cursor", detail="The cursor is not valid.")
