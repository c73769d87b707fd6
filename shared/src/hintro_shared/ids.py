"""The one shape of an id the suite accepts from outside (path segments, bodies, socket payloads)
and the one it issues.

Ids become map keys in stored documents (``roles.<userId>``, ``members.<userId>``) and path
segments towards other services, so only characters safe in both are accepted: never ``.``,
``$`` or ``/``. The ids the suite issues are 32 hex characters, well inside the limit.
"""

from __future__ import annotations

import re
import uuid

ID_MAX_LENGTH = 128
ID_PATTERN = rf"^[A-Za-z0-9_-]{{1,{ID_MAX_LENGTH}}}$"
_ID = re.compile(ID_PATTERN)


def is_safe_id(value: str) -> bool:
    """Whether ``value`` may be used as an id (see the module docstring)."""
    return bool(_ID.match(value))


GIVEN_ID_PATTERN = r"^[0-9a-f]{32}$"
"""A client-chosen id of a new resource (the ``id`` a create body may name): the shape of an
issued id, so a given id and an issued one can never be told apart or collide in form."""
_GIVEN_ID = re.compile(GIVEN_ID_PATTERN)


def is_given_id(value: str) -> bool:
    """Whether ``value`` may name a resource a client creates (see ``GIVEN_ID_PATTERN``)."""
    return bool(_GIVEN_ID.match(value))


def new_id() -> str:
    """A fresh opaque id (32 hex characters)."""
    return uuid.uuid4().hex
