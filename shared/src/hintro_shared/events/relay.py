"""The outbox relay: gets every pending event out, in order, exactly as often as needed.

Two paths publish the same entries (see :mod:`hintro_shared.events.outbox`):

- fast path: right after its write the service calls ``await relay.flush(collection, id)``
  (or ``relay.flush_soon(...)`` to not wait), so an event normally leaves within milliseconds;
- sweeper: a background task that every ``interval`` seconds finds documents with
  ``outboxPending > 0`` in the watched collections and flushes those whose oldest entry is
  older than ``grace`` (so it does not race a fast path in flight). This is what gets events
  out after a crash between the write and the publish, or after a broker outage.

Entries of one document are published one by one in their order and each is removed only after
its confirm; a failure stops that document's flush, so a later event never overtakes an earlier
one. Delivery is at-least-once: a crash after the confirm and before the removal, or two
replicas' sweepers on the same document, publish an entry again, which consumers absorb
(:mod:`hintro_shared.events.idempotency`). Drained tombstones are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError
from pymongo.asynchronous.collection import AsyncCollection

from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.metrics import OUTBOX_RELAYED
from hintro_shared.events.outbox import DELETED, OUTBOX, PENDING, pending_events

_log = logging.getLogger(__name__)

Collection = AsyncCollection[dict[str, Any]]


class Publisher(Protocol):
    """What the relay needs of :class:`~hintro_shared.events.publisher.EventPublisher`."""

    async def publish(self, envelope: EventEnvelope, *, within: float | None = None) -> None:
        """Publish and wait for the broker's confirm, giving up after ``within`` seconds."""
        ...


class _KeyedLocks:
    """One lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> Any:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RecentIds:
    """The last ``size`` ids added (a bounded set, oldest forgotten first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: dict[str, None] = {}

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids


async def ensure_outbox_index(collection: Collection) -> None:
    """The index the sweeper's query uses (call it where the repository creates its indexes)."""
    await collection.create_index(PENDING, name="outbox_pending")
    await collection.create_index(DELETED, name="outbox_tombstone", sparse=True)


class OutboxRelay:
    """Publishes the outbox entries of documents in the watched collections."""

    def __init__(
        self,
        publisher: Publisher,
        *,
        interval: float = 1.0,
        grace: float = 1.0,
        batch_size: int = 100,
        publish_budget: float = 5.0,
    ) -> None:
        self._publisher = publisher
        self._interval = interval
        self._grace = grace
        self._batch_size = batch_size
        self._budget = publish_budget
        self._collections: dict[str, Collection] = {}
        self._locks = _KeyedLocks()
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._background: set[asyncio.Task[int]] = set()
        # Ids of the events this relay published lately: a flush from a writer's snapshot
        # skips them instead of publishing them twice.
        self._published = RecentIds(4096)

    def watch(self, collection: Collection) -> None:
        """Have the sweeper look after this collection's outboxes."""
        self._collections[collection.full_name] = collection

    async def create_indexes(self) -> None:
        """Create the sweeper's indexes on every watched collection."""
        for collection in self._collections.values():
            await ensure_outbox_index(collection)

    async def flush(
        self, collection: Collection, doc_id: Any, pending: Sequence[EventEnvelope] | None = None
    ) -> int:
        """Publish the document's pending events in order and remove them; returns how many.

        ``pending``: the events the writer just inserted the document with (a new document,
        so no earlier event of it can be pending), which spares reading it back. Events added
        later are flushed by their own writers' calls, which read the document; an event this
        process already published is skipped.

        Never raises for a broker or database failure (the write it follows has committed;
        the sweeper will retry): it logs and returns 0."""
        try:
            return await self._flush(collection, doc_id, min_age=None, path="flush", known=pending)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._log_failure(collection, doc_id, exc)
            return 0

    def flush_soon(
        self, collection: Collection, doc_id: Any, pending: Sequence[EventEnvelope] | None = None
    ) -> None:
        """:meth:`flush` in the background, for a handler that should not wait for the broker.

        ``stop()`` waits for these."""
        task = asyncio.create_task(self.flush(collection, doc_id, pending))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    def _log_failure(collection: Collection, doc_id: Any, exc: Exception) -> None:
        if isinstance(exc, ValidationError):
            _log.error(
                "corrupt outbox entry; it blocks this document's events until fixed by hand",
                extra={"collection": collection.full_name, "docId": str(doc_id)},
            )
        else:
            _log.warning(
                "outbox flush incomplete; the sweeper will retry",
                extra={
                    "collection": collection.full_name,
                    "docId": str(doc_id),
                    "error": repr(exc),
                },
            )

    async def _flush(
        self,
        collection: Collection,
        doc_id: Any,
        *,
        min_age: float | None,
        path: str,
        known: Sequence[EventEnvelope] | None = None,
    ) -> int:
        published = 0
        async with self._locks.hold((collection.full_name, doc_id)):
            doc: dict[str, Any] | None
            if known is not None:
                doc = {}
                events = [event for event in known if event.id not in self._published]
            else:
                doc = await collection.find_one(
                    {"_id": doc_id}, {OUTBOX: 1, PENDING: 1, DELETED: 1}
                )
                if doc is None:
                    return 0
                events = pending_events(doc)
            if events and min_age is not None:
                cutoff = datetime.now(UTC) - timedelta(seconds=min_age)
                if min(event.time for event in events) > cutoff:
                    return 0  # young: its writer's fast path is presumably on it
            for event in events:
                await self._publisher.publish(event, within=self._budget)
                await collection.update_one(
                    {"_id": doc_id, f"{OUTBOX}.{event.id}": {"$exists": True}},
                    {"$unset": {f"{OUTBOX}.{event.id}": ""}, "$inc": {PENDING: -1}},
                )
                published += 1
                self._published.add(event.id)
                OUTBOX_RELAYED.labels(collection.name, path).inc()
            # Truthiness, not "is True": nx-27017 stores a $set boolean as 1.
            if doc.get(DELETED):
                # Only once drained: a concurrent write may have added events meanwhile.
                await collection.delete_one({"_id": doc_id, DELETED: True, PENDING: {"$lte": 0}})
        return published

    async def sweep_once(self) -> int:
        """One pass of the sweeper over every watched collection; returns events published.

        A document whose publish fails ends the pass (the broker is likely down; the next
        tick tries again); a corrupt entry only skips its document."""
        total = 0
        for collection in list(self._collections.values()):
            pending = collection.find({PENDING: {"$gt": 0}}, {"_id": 1}).limit(self._batch_size)
            for doc_id in [doc["_id"] async for doc in pending]:
                try:
                    total += await self._flush(
                        collection, doc_id, min_age=self._grace, path="sweep"
                    )
                except ValidationError as exc:
                    self._log_failure(collection, doc_id, exc)
            # Tombstones whose events are out but whose deletion a crash interrupted.
            drained = {DELETED: True, PENDING: {"$lte": 0}}
            tombstones = collection.find(drained, {"_id": 1}).limit(self._batch_size)
            for doc_id in [doc["_id"] async for doc in tombstones]:
                await collection.delete_one({"_id": doc_id, **drained})
        return total

    async def _sweep_forever(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A database outage must not kill the sweeper; it tries again next tick.
                _log.warning("outbox sweep failed", extra={"error": repr(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval)

    def start(self) -> None:
        """Start the background sweeper (idempotent)."""
        if self._sweeper is None or self._sweeper.done():
            self._stopping = asyncio.Event()
            self._sweeper = asyncio.create_task(
                self._sweep_forever(self._stopping), name="outbox-sweeper"
            )

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop the sweeper and wait (at most ``drain_seconds`` each) for it and for background
        flushes; whatever they had not published stays in the outbox for the next start."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            self._stopping.set()
            sweeper.cancel()
            # Bounded: a driver call that ignores cancellation must not hang the shutdown.
            await asyncio.wait({sweeper}, timeout=drain_seconds)
        if self._background:
            _, still_running = await asyncio.wait(set(self._background), timeout=drain_seconds)
            for task in still_running:
                task.cancel()
