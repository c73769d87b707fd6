"""The activity log in MongoDB: entries and the per-board seq counters.

Documents::

    entries:  {_id: eventId, boardId, seq, place: "<boardId>:<seq, 12 digits>", type,
               actor: {id}, subject: {kind, id}, summary, names: [{k, id, name}], unresolved,
               data, createdAt: "<RFC 3339>", outbox: {...activity.recorded...}, outboxPending}
              unique (boardId, seq): the log's order and its no-duplicates guarantee
              (place): the same order as one string, what the pages are read by (see ``PLACE``)
    counters: {_id: boardId, seq: N, claims: {<eventId>: {seq, doc: "<entry JSON>", at}},
               claimsPending: <number of claims>}
              or, once the board is deleted, the tombstone {_id: boardId, deleted: true}

Recording (single-document atomicity only; nx-27017's transactions are not atomic):

1. an entry with this ``_id`` (the event id) exists → already recorded;
2. claim a seq: read the counter ``{seq: N, claims}``; if ``claims.<eventId>`` exists, that
   claim is ours (an earlier delivery's); else, if the entry exists now → recorded; else
   compare-and-set ``{_id, seq: N, claims.<eventId> absent}`` → ``{seq: N+1, claims.<eventId>:
   {seq: N+1, doc}}``; on a miss, read again. Reading the counter *before* checking for the
   entry is what makes a duplicate safe: any claim between that read and the CAS moves ``seq``
   and fails the CAS, and an entry can only exist after its claim;
3. insert the entry stored in the claim (a duplicate key means another delivery did: fine);
4. ``$unset`` the claim (guarded, with ``claimsPending - 1``).

A crash between 2 and 3 is healed by the redelivery (it finds the claim and reuses its seq) or,
if the event never comes back (dead-lettered), by :meth:`ActivityLog.heal_stale_claims`, which
inserts the entry kept in the claim. Every seq that was claimed therefore gets its entry: no gap,
and no entry twice. The activity.recorded event rides in the entry's own outbox, so it is
published if and only if the entry exists.

Two databases: ``db`` (the primary) for every write, the counters, the replay after a seq
(realtime needs the latest entries) and the sweepers; ``read_db`` (the same database opened with
``MONGO_READ_PREFERENCE``, so possibly a lagging secondary) only for the history pages
(:meth:`ActivityLog.newest`), which tolerate lag: a page may lack entries recorded within the
replication lag, but the ``before`` cursor is a seq, so paging never repeats an entry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hintro_shared import jsonutil
from hintro_shared.events.fastpath import Outbox, SweeperOnly
from hintro_shared.events.outbox import OUTBOX, PENDING, pending_events
from hintro_shared.events.relay import Collection, ensure_outbox_index

_log = logging.getLogger(__name__)

Document = dict[str, Any]
BuildEntry = Callable[[int], Document]
"""Builds the entry document for a given seq (the seq is only known once claimed)."""

CLAIMS = "claims"
CLAIMS_PENDING = "claimsPending"
NOT_DELETED: Document = {"deleted": {"$nin": [True]}}
# What a reader never sees of an entry.
_HIDDEN: Document = {OUTBOX: 0, PENDING: 0}

PLACE = "place"
"""An entry's place in its board's log as one string: board id, ``:``, the seq in 12 digits,
so the string order is the log's order. Pages are read as a range of it, which nx-27017's
index serves: ``{boardId: id, seq: ...}`` read every entry in the collection there (an
equality is compiled to SQL no index serves, docs/database.md), 20-26 ms a page at 10,000
entries against 5 ms by place (docs/performance.md, "Soak")."""
_SEQ_DIGITS = 12


def entry_place(board_id: str, seq: int) -> str:
    """The :data:`PLACE` of the board's entry ``seq`` (clamped to what 12 digits hold, so a
    client's huge cursor is a bound past every entry, not an error)."""
    return f"{board_id}:{min(max(seq, 0), 10**_SEQ_DIGITS - 1):0{_SEQ_DIGITS}d}"


def page_complete(seqs: list[int], recorded: range, limit: int) -> bool:
    """Whether a page read by :data:`PLACE` (``seqs`` in read order) holds every entry it must.
    ``recorded`` are the seqs known to be recorded, in read order; an entry written by a
    release before the key has none and a range read skips it, so those seqs must come in
    order until the page is full or they run out. Seqs outside them (entries beyond the head
    whose neighbours are still being recorded) are not checked."""
    expected = list(recorded[:limit])
    inside = [seq for seq in seqs if seq in recorded]
    return inside == expected[: len(inside)] and (
        len(seqs) >= limit or len(inside) == len(expected)
    )


@dataclass(frozen=True)
class _Pending:
    """A call of :meth:`ActivityLog.record` waiting for its board's next batch."""

    event_id: str
    build: BuildEntry
    future: asyncio.Future[int | None]


class SeqContention(Exception):
    """A seq could not be claimed within the attempt budget (the event is retried later)."""


def _claim(doc: Document) -> Document:
    # The entry travels as JSON inside the claim: a dotted $set of nested documents would hit
    # nx-27017's quirks (datetimes and arrays of documents), a string round-trips everywhere.
    return {"seq": doc["seq"], "doc": jsonutil.dumps(doc), "at": time.time_ns()}


def _unclaimed(claim: Mapping[str, Any]) -> Document:
    doc: Document = jsonutil.loads(claim["doc"])
    # A claim made by a release before the key: its entry gets the key all the same.
    doc.setdefault(PLACE, entry_place(doc["boardId"], int(doc["seq"])))
    return doc


def _past(board_id: str) -> str:
    """A bound above every :data:`PLACE` of the board (``;`` sorts after the digits)."""
    return f"{board_id};"


def _keyed(board_id: str, seq: int, doc: Document) -> Document:
    return {**doc, PLACE: entry_place(board_id, seq)}


def head_of(counter: Mapping[str, Any] | None) -> int:
    """The board's current seq: the highest S such that every entry 1..S is recorded."""
    if counter is None or counter.get("deleted"):
        return 0
    seq = int(counter.get("seq", 0))
    claims = counter.get(CLAIMS) or {}
    claimed = [int(claim["seq"]) for claim in claims.values() if isinstance(claim, Mapping)]
    return min([seq, *(c - 1 for c in claimed)])


ENTRIES = "entries"
# Without a fast path (tests, tools) the relay's sweeper publishes the events.
_SWEEPER_ONLY = SweeperOnly()


class ActivityLog:
    """Entries and counters, and the gapless seq protocol above."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        read_db: AsyncDatabase[Document] | None = None,
        outbox: Outbox = _SWEEPER_ONLY,
        max_attempts: int = 500,
    ) -> None:
        """``db`` is the primary; ``read_db`` (default: ``db``) serves only the history pages."""
        self.entries: Collection = db[ENTRIES]
        self.counters: Collection = db["counters"]
        # The lag-tolerant read path (history pages): never written through, never the replay.
        self.history: Collection = (db if read_db is None else read_db)[ENTRIES]
        self._outbox = outbox
        self._max_attempts = max_attempts
        self._waiting: dict[str, list[_Pending]] = {}  # board -> calls for its next batch
        self._draining: set[str] = set()  # boards whose batches a call is recording

    async def create_indexes(self) -> None:
        """The log's order (and uniqueness) and the indexes the sweepers use."""
        await self.entries.create_index(
            [("boardId", ASCENDING), ("seq", ASCENDING)], name="board_seq", unique=True
        )
        await self.entries.create_index([(PLACE, ASCENDING)], name="place", sparse=True)
        await ensure_outbox_index(self.entries)
        await self.counters.create_index(CLAIMS_PENDING, name="claims_pending")

    # --- recording -----------------------------------------------------------------------------

    async def recorded(self, event_id: str) -> bool:
        """Whether the event already has its entry."""
        return await self.entries.find_one({"_id": event_id}, {"_id": 1}) is not None

    async def record(self, board_id: str, event_id: str, build: BuildEntry) -> int | None:
        """Record the event as the board's next entry; returns its seq, or ``None`` when it was
        already recorded or the board is deleted. Raises :class:`SeqContention` if no seq
        could be claimed within the attempt budget.

        Calls for one board that arrive while one of its batches is being recorded wait and
        are recorded together as the next batch (see :meth:`_record_batch`): the consumer
        handles many deliveries at once, and claiming their seqs one CAS at a time made them
        contend for the same counter."""
        pending = _Pending(event_id, build, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(board_id, []).append(pending)
        if board_id not in self._draining:
            self._draining.add(board_id)
            try:
                while batch := self._waiting.pop(board_id, None):
                    await self._settle_batch(board_id, batch)
            finally:
                self._draining.discard(board_id)
                # Cancelled (shutdown) with calls still waiting: they must not hang.
                for left in self._waiting.pop(board_id, []):
                    if not left.future.done():
                        left.future.cancel()
        return await pending.future

    async def _settle_batch(self, board_id: str, batch: list[_Pending]) -> None:
        """Record one batch and resolve its callers' futures (a duplicate delivery within the
        batch gets ``None``: the first one carries the seq)."""
        firsts: dict[str, BuildEntry] = {}
        for item in batch:
            firsts.setdefault(item.event_id, item.build)
        try:
            seqs = await self._record_batch(board_id, list(firsts.items()))
        except BaseException as exc:
            for item in batch:
                if not item.future.done():
                    if isinstance(exc, asyncio.CancelledError):
                        item.future.cancel()
                    else:
                        item.future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        answered: set[str] = set()
        for item in batch:
            if not item.future.done():
                first = item.event_id not in answered
                item.future.set_result(seqs.get(item.event_id) if first else None)
            answered.add(item.event_id)

    async def _record_batch(
        self, board_id: str, items: list[tuple[str, BuildEntry]]
    ) -> dict[str, int | None]:
        """Record distinct events of one board as consecutive entries: one counter CAS claims
        all their seqs (each with its claim, as for a single event), one insert writes the
        entries, one update drops the claims."""
        if len(items) == 1:
            event_id, build = items[0]
            doc = await self._claim_seq(board_id, event_id, build)
            if doc is None:
                return {event_id: None}
            await self._complete(board_id, event_id, doc)
            return {event_id: int(doc["seq"])}
        docs = await self._claim_seqs(board_id, items)
        if docs:
            await self._complete_many(board_id, docs)
        return {
            event_id: int(docs[event_id]["seq"]) if event_id in docs else None
            for event_id, _ in items
        }

    async def _claim_seq(self, board_id: str, event_id: str, build: BuildEntry) -> Document | None:
        docs = await self._claim_seqs(board_id, [(event_id, build)])
        return docs.get(event_id)

    async def _claim_seqs(
        self, board_id: str, items: list[tuple[str, BuildEntry]]
    ) -> dict[str, Document]:
        """Claim the next seqs for the events not recorded yet, in the order given; returns
        event id -> entry document (an earlier delivery's claim is reused as it was)."""
        for attempt in range(self._max_attempts):
            counter = await self.counters.find_one({"_id": board_id})
            if counter is not None and counter.get("deleted"):
                return {}
            claims = (counter or {}).get(CLAIMS) or {}
            found = {eid: _unclaimed(claims[eid]) for eid, _ in items if eid in claims}
            rest = [(eid, build) for eid, build in items if eid not in claims]
            if rest:
                recorded = await self._recorded_among([eid for eid, _ in rest])
                rest = [(eid, build) for eid, build in rest if eid not in recorded]
            if not rest:
                return found
            current = int(counter.get("seq", 0)) if counter is not None else 0
            new = {
                eid: _keyed(board_id, current + i, build(current + i))
                for i, (eid, build) in enumerate(rest, start=1)
            }
            if counter is None:
                try:
                    await self.counters.insert_one(
                        {
                            "_id": board_id,
                            "seq": len(new),
                            CLAIMS: {eid: _claim(doc) for eid, doc in new.items()},
                            CLAIMS_PENDING: len(new),
                        }
                    )
                except DuplicateKeyError:
                    continue  # another event of this board created it first
                return {**found, **new}
            result = await self.counters.update_one(
                {
                    "_id": board_id,
                    "seq": current,
                    **{f"{CLAIMS}.{eid}": {"$exists": False} for eid in new},
                    **NOT_DELETED,
                },
                {
                    "$set": {
                        "seq": current + len(new),
                        **{f"{CLAIMS}.{eid}": _claim(doc) for eid, doc in new.items()},
                    },
                    "$inc": {CLAIMS_PENDING: len(new)},
                },
            )
            if result.matched_count:
                return {**found, **new}
            # Lost the race: back off a little (jittered) so contenders spread out.
            await asyncio.sleep(random.uniform(0, min(0.02, 0.0005 * 2 ** min(attempt, 6))))  # noqa: S311
        first = items[0][0] if items else "?"
        raise SeqContention(
            f"no seq claimed for board {board_id} (event {first}) in {self._max_attempts} tries"
        )

    async def _recorded_among(self, event_ids: list[str]) -> set[str]:
        """Which of these events already have their entry."""
        if len(event_ids) == 1:
            return set(event_ids) if await self.recorded(event_ids[0]) else set()
        cursor = self.entries.find({"_id": {"$in": event_ids}}, {"_id": 1})
        return {str(doc["_id"]) async for doc in cursor}

    async def _complete(self, board_id: str, event_id: str, doc: Document) -> None:
        inserted = True
        try:
            await self.entries.insert_one(dict(doc))
        except DuplicateKeyError:
            inserted = False  # another delivery (or the healer) inserted this very entry
        dropped = await self._drop_claims(board_id, [event_id])
        if await self._purged_meanwhile(board_id, dropped):
            return
        # The seq protocol completes entries here and in the healer: both publish at once.
        self._publish(event_id, doc, inserted)

    async def _complete_many(self, board_id: str, docs: dict[str, Document]) -> None:
        ordered = list(docs.items())
        duplicates: set[int] = set()
        try:
            await self.entries.insert_many([dict(doc) for _, doc in ordered], ordered=False)
        except BulkWriteError as exc:
            # Duplicates are other deliveries' (or the healer's) inserts of these very entries.
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != 11000 for error in errors):
                raise
            duplicates = {int(error.get("index", -1)) for error in errors}
        dropped = await self._drop_claims(board_id, list(docs))
        if await self._purged_meanwhile(board_id, dropped):
            return
        for index, (event_id, doc) in enumerate(ordered):
            self._publish(event_id, doc, index not in duplicates)

    def _publish(self, event_id: str, doc: Document, inserted: bool) -> None:
        """Have the entry's ``activity.recorded`` published now. An entry this call inserted
        holds exactly the event in ``doc`` (nothing adds to an entry's outbox), so the relay
        need not read it back; one another delivery inserted is read back, so the two do not
        both publish it."""
        self._outbox.written(event_id, pending_events(doc) if inserted else None)

    async def _drop_claims(self, board_id: str, event_ids: list[str]) -> bool:
        """``$unset`` the events' claims (each guarded by its existence, so ``claimsPending``
        stays exact); returns whether all were still there, i.e. the counter was live then."""
        paths = {f"{CLAIMS}.{eid}": "" for eid in event_ids}
        result = await self.counters.update_one(
            {"_id": board_id, **{path: {"$exists": True} for path in paths}},
            {"$unset": paths, "$inc": {CLAIMS_PENDING: -len(paths)}},
        )
        if result.matched_count or len(event_ids) == 1:
            return bool(result.matched_count)
        # Another delivery or the healer completed some of them: one by one.
        for path in paths:
            await self.counters.update_one(
                {"_id": board_id, path: {"$exists": True}},
                {"$unset": {path: ""}, "$inc": {CLAIMS_PENDING: -1}},
            )
        return False

    async def _purged_meanwhile(self, board_id: str, claims_dropped: bool) -> bool:
        """The board's deletion may have purged the log between the claim and the insert: the
        purge tombstones the counter before deleting entries. If the claims were dropped from
        a live counter, the entries were in before any later purge, which deletes them; else
        read whether the board is deleted and delete the stragglers."""
        if claims_dropped:
            return False
        counter = await self.counters.find_one({"_id": board_id}, {"deleted": 1})
        if counter is not None and counter.get("deleted"):
            await self.entries.delete_many({"boardId": board_id})
            return True
        return False

    async def heal_stale_claims(self, older_than_seconds: float, batch_size: int = 100) -> int:
        """Complete claims older than ``older_than_seconds`` from the entry kept in them
        (their delivery died or was dead-lettered); returns how many were completed."""
        cutoff = time.time_ns() - int(older_than_seconds * 1e9)
        healed = 0
        cursor = self.counters.find({CLAIMS_PENDING: {"$gt": 0}}).limit(batch_size)
        async for counter in cursor:
            if counter.get("deleted"):
                continue
            for event_id, claim in list((counter.get(CLAIMS) or {}).items()):
                if isinstance(claim, Mapping) and int(claim.get("at", 0)) < cutoff:
                    _log.warning(
                        "completing an abandoned seq claim",
                        extra={"boardId": counter["_id"], "eventId": event_id},
                    )
                    await self._complete(counter["_id"], event_id, _unclaimed(claim))
                    healed += 1
        return healed

    # --- reading -------------------------------------------------------------------------------

    async def head(self, board_id: str) -> int:
        """The board's current seq (see :func:`head_of`)."""
        return head_of(await self.counters.find_one({"_id": board_id}))

    async def newest(self, board_id: str, limit: int, before: int | None) -> list[Document]:
        """Up to ``limit`` entries with ``seq < before`` (all when ``None``), newest first, read
        through ``read_db`` (may lag the primary: the newest entries may be missing)."""
        if limit <= 0:
            return []
        head = await self.head(board_id)
        top = head if before is None else min(head, before - 1)
        high = entry_place(board_id, before) if before is not None else _past(board_id)
        return await self._page(
            self.history,
            board_id,
            (entry_place(board_id, 0), high),
            None if before is None else {"$lt": before},
            DESCENDING,
            range(top, 0, -1),
            limit,
        )

    async def after(
        self, board_id: str, after_seq: int, limit: int, *, head: int | None = None
    ) -> list[Document]:
        """Up to ``limit`` entries with ``seq > after_seq``, ascending, from the primary (the
        replay must see every entry recorded so far); ``head``: the board's current seq when
        the caller has read it already."""
        if limit <= 0:
            return []
        head = await self.head(board_id) if head is None else head
        return await self._page(
            self.entries,
            board_id,
            (entry_place(board_id, max(after_seq + 1, 0)), _past(board_id)),
            {"$gt": after_seq},
            ASCENDING,
            range(max(after_seq + 1, 1), head + 1),
            limit,
        )

    async def _page(
        self,
        collection: Collection,
        board_id: str,
        places: tuple[str, str],
        seqs: Document | None,
        order: int,
        recorded: range,
        limit: int,
    ) -> list[Document]:
        """The page of ``places`` (from, before), in ``order``; when it lacks a recorded seq
        (an entry written without its place), the same page by ``seqs``, given their places."""
        # boardId too: the shard key of a sharded log (docs/database.md), and no cost here.
        low, high = places
        query: Document = {"boardId": board_id, PLACE: {"$gte": low, "$lt": high}}
        docs = await collection.find(query, _HIDDEN).sort(PLACE, order).limit(limit).to_list()
        if page_complete([int(doc["seq"]) for doc in docs], recorded, limit):
            return docs
        by_seq: Document = (
            {"boardId": board_id} if seqs is None else {"boardId": board_id, "seq": seqs}
        )
        cursor = collection.find(by_seq, _HIDDEN).sort("seq", order).limit(limit)
        return await self._keyed_now([doc async for doc in cursor])

    async def _keyed_now(self, docs: list[Document]) -> list[Document]:
        """Give the key to the entries of ``docs`` written without it (by a release before it,
        during a rolling update), so the next range read finds them; returns ``docs``."""
        for doc in docs:
            if PLACE not in doc:
                doc[PLACE] = entry_place(doc["boardId"], int(doc["seq"]))
                await self.entries.update_one({"_id": doc["_id"]}, {"$set": {PLACE: doc[PLACE]}})
        return docs

    async def save_names(
        self, event_id: str, names: list[dict[str, str]], summary: str, unresolved: bool
    ) -> None:
        """Store names learnt after the entry was written (and the summary they give)."""
        await self.entries.update_one(
            {"_id": event_id},
            {"$set": {"names": names, "summary": summary, "unresolved": unresolved}},
        )

    # --- deleting ------------------------------------------------------------------------------

    async def purge_board(self, board_id: str) -> int:
        """Delete the board's log: tombstone its counter first (no seq can be claimed after
        that), then the entries. Idempotent; returns how many entries went."""
        await self.counters.replace_one(
            {"_id": board_id},
            {"_id": board_id, "deleted": True, "deletedAt": datetime.now(UTC)},
            upsert=True,
        )
        result = await self.entries.delete_many({"boardId": board_id})
        return int(result.deleted_count)

    async def board_deleted(self, board_id: str) -> bool:
        """Whether the board's log was deleted (its events are ignored from then on)."""
        counter = await self.counters.find_one({"_id": board_id}, {"deleted": 1})
        return bool(counter and counter.get("deleted"))
