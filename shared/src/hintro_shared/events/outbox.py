"""The transactional outbox on single-document atomicity (no multi-document transactions).

An aggregate's pending events live in its own document, written by the very insert or update
that changes its state, so the change and its events commit (or fail) together on MongoDB and
on nx-27017 alike::

    {_id, ...state...,
     "outbox": {"<eventId>": {<envelope as JSON-ready dict>, "_order": [order, i]}, ...},
     "outboxPending": <number of entries in outbox>}

The :class:`~hintro_shared.events.relay.OutboxRelay` publishes the entries in ``_order`` and
removes each one (``$unset`` of ``outbox.<eventId>`` with ``$inc outboxPending -1``, guarded by
the entry's existence) only after the broker confirmed it. ``outboxPending`` is what the
sweeper queries (indexed, ``> 0``); its exact count is kept by those guarded decrements.

Writers use :func:`outbox_fields` in an insert, :func:`with_outbox` to add events to an update
(never ``$push``: nx-27017 stores pushed subdocuments as strings), and :func:`tombstone_update`
to delete an aggregate: the document stays, flagged ``deleted: true``, until the relay has
published its events and then removes it. Readers skip tombstones with :data:`LIVE` or
:func:`live`.

``order`` must grow with every write of one aggregate; pass its new ``version``. Without it a
per-process monotonic clock is used, which orders writes of one process only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hintro_shared.events.envelope import EventEnvelope

OUTBOX = "outbox"
PENDING = "outboxPending"
ORDER_KEY = "_order"
DELETED = "deleted"
DELETED_AT = "deletedAt"

# Filter fragment that hides tombstones. Not {"$ne": True}: in updates and deletes nx-27017's
# $ne does not match documents that lack the field; $nin does, on both servers.
LIVE: dict[str, Any] = {DELETED: {"$nin": [True]}}

_last_clock = 0


def _clock_order() -> int:
    """Nanoseconds since the epoch, strictly increasing within this process."""
    global _last_clock
    _last_clock = max(_last_clock + 1, time.time_ns())
    return _last_clock


def _entries(envelopes: tuple[EventEnvelope, ...], order: int | None) -> dict[str, Any]:
    if not envelopes:
        raise ValueError("an outbox write needs at least one event")
    base = _clock_order() if order is None else order
    entries: dict[str, Any] = {}
    for index, envelope in enumerate(envelopes):
        entry = envelope.to_dict()
        entry[ORDER_KEY] = [base, index]
        entries[envelope.id] = entry
    return entries


def outbox_fields(*envelopes: EventEnvelope, order: int | None = None) -> dict[str, Any]:
    """Fields to merge into a document being inserted: ``{**doc, **outbox_fields(event)}``."""
    entries = _entries(envelopes, order)
    return {OUTBOX: entries, PENDING: len(entries)}


def with_outbox(
    update: Mapping[str, Any], *envelopes: EventEnvelope, order: int | None = None
) -> dict[str, Any]:
    """``update`` (an update document such as ``{"$set": ..., "$inc": {"version": 1}}``) with
    the events added to the same write: ``$set outbox.<id>`` and ``$inc outboxPending``."""
    entries = _entries(envelopes, order)
    result: dict[str, Any] = {op: dict(fields) for op, fields in update.items()}
    sets = result.setdefault("$set", {})
    incs = result.setdefault("$inc", {})
    for event_id, entry in entries.items():
        sets[f"{OUTBOX}.{event_id}"] = entry
    incs[PENDING] = incs.get(PENDING, 0) + len(entries)
    return result


def tombstone_update(
    *envelopes: EventEnvelope, order: int | None = None, extra_set: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Update that deletes an aggregate by turning it into a tombstone carrying its events.

    Apply it with the same filter (and version check) a normal update would use; the relay
    deletes the document once the events are out. ``extra_set`` adds fields (e.g. the bumped
    version)."""
    sets: dict[str, Any] = {DELETED: True, DELETED_AT: datetime.now(UTC)}
    sets.update(extra_set or {})
    return with_outbox({"$set": sets}, *envelopes, order=order)


def live(filter_: Mapping[str, Any]) -> dict[str, Any]:
    """``filter_`` restricted to documents that are not tombstones."""
    return {**filter_, **LIVE}


def pending_events(document: Mapping[str, Any]) -> list[EventEnvelope]:
    """The document's pending events in publishing order."""
    outbox = document.get(OUTBOX) or {}
    ordered = sorted(outbox.values(), key=lambda entry: tuple(entry.get(ORDER_KEY) or ()))
    return [EventEnvelope.model_validate(entry) for entry in ordered]
