"""Idempotent consumer effects on single-document atomicity: the document the effect writes
carries its own guard, so the effect and "this event was applied" cannot be split by a crash
(no separate processed-events write, no multi-document transaction).

Which guard to use:

- :func:`apply_if_newer` (version guard) for projections of an aggregate that events replace
  field by field (a task's title, a board's members): apply only if the stored ``version`` is
  older than the event's. Absorbs duplicates *and* out-of-order arrival (a retried old event
  cannot overwrite a newer state). Keep a tombstone (``{"deleted": True}`` applied with this
  guard) instead of deleting, or a late older event would recreate the document.
- :func:`apply_once` (applied-event-ids guard) for effects that are not a replacement: counters
  (``$inc``), additions to sets, anything where every distinct event must count once. The
  document keeps a map ``appliedEvents: {eventId: appliedAtNs}``; pass ``keep`` on long-lived
  documents so it stays bounded (only ids older than the newest ``keep`` are forgotten; their
  redelivery is vanishingly unlikely).
- :func:`insert_once` for effects that create a document per event (e.g. an activity entry):
  the event id is the ``_id`` or has a unique index, and a duplicate insert is a no-op.

nx-27017 notes: the applied ids are a map with a dotted ``$exists`` guard rather than an array
with ``$ne`` + ``$addToSet``, because on nx-27017 ``{"array": {"$ne": x}}`` matches arrays that
contain ``x`` and ``$addToSet`` on a missing field does nothing (both differ from MongoDB);
maps keyed by id with dotted ``$set`` / ``$unset`` / ``$exists`` behave the same on both.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

Collection = AsyncCollection[dict[str, Any]]
APPLIED_EVENTS = "appliedEvents"


async def _update_or_insert(
    collection: Collection, filter_: Mapping[str, Any], update: Mapping[str, Any], upsert: bool
) -> bool:
    try:
        result = await collection.update_one(filter_, update, upsert=upsert)
    except DuplicateKeyError:
        # The document exists (the guard failed, or a concurrent event inserted it first):
        # try once more as a plain update, which applies only if the guard now matches.
        result = await collection.update_one(filter_, update)
    return result.matched_count > 0 or result.upserted_id is not None


async def apply_if_newer(
    collection: Collection,
    key: Mapping[str, Any],
    version: int,
    fields: Mapping[str, Any],
    *,
    upsert: bool = True,
    version_field: str = "version",
) -> bool:
    """``$set`` ``fields`` and ``version`` on the document ``key`` selects, only if its stored
    version is lower (or, with ``upsert``, it does not exist). Returns whether it applied.

    ``key`` must select by a unique key (normally ``{"_id": ...}``), and every document of the
    collection must have ``version_field``."""
    filter_ = {**key, version_field: {"$lt": version}}
    update = {"$set": {**fields, version_field: version}}
    return await _update_or_insert(collection, filter_, update, upsert)


def once_filter(
    key: Mapping[str, Any], event_id: str, field: str = APPLIED_EVENTS
) -> dict[str, Any]:
    """Filter that matches ``key``'s document only if ``event_id`` was not applied to it."""
    return {**key, f"{field}.{event_id}": {"$exists": False}}


def once_update(
    update: Mapping[str, Any], event_id: str, field: str = APPLIED_EVENTS
) -> dict[str, Any]:
    """``update`` plus recording ``event_id`` as applied, in the same write."""
    result: dict[str, Any] = {op: dict(fields) for op, fields in update.items()}
    result.setdefault("$set", {})[f"{field}.{event_id}"] = time.time_ns()
    return result


async def apply_once(
    collection: Collection,
    key: Mapping[str, Any],
    event_id: str,
    update: Mapping[str, Any],
    *,
    upsert: bool = False,
    keep: int | None = None,
    field: str = APPLIED_EVENTS,
) -> bool:
    """Apply ``update`` to the document ``key`` selects unless ``event_id`` already was;
    returns whether it applied. ``keep`` bounds the remembered ids (oldest dropped)."""
    applied = await _update_or_insert(
        collection, once_filter(key, event_id, field), once_update(update, event_id, field), upsert
    )
    if applied and keep is not None:
        await trim_applied(collection, key, keep, field=field)
    return applied


async def trim_applied(
    collection: Collection, key: Mapping[str, Any], keep: int, *, field: str = APPLIED_EVENTS
) -> None:
    """Forget all but the newest ``keep`` applied event ids of one document."""
    doc = await collection.find_one(key, {field: 1})
    applied: dict[str, int] = dict((doc or {}).get(field) or {})
    if len(applied) > keep:
        oldest = sorted(applied, key=lambda event_id: applied[event_id])[: len(applied) - keep]
        # $unset of named ids is safe under concurrency: ids added meanwhile are not touched.
        await collection.update_one(key, {"$unset": {f"{field}.{eid}": "" for eid in oldest}})


async def insert_once(collection: Collection, document: Mapping[str, Any]) -> bool:
    """Insert a document whose ``_id`` (or a unique index) is derived from the event; a
    duplicate is a no-op. Returns whether it inserted."""
    try:
        await collection.insert_one(dict(document))
    except DuplicateKeyError:
        return False
    return True
