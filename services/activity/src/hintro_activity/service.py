"""The activity service's use cases over small interfaces: recording a board event as the
board's next entry (with its summary and its ``activity.recorded`` event), reading the log
newest first, replaying it after a seq, and deleting a board's log."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hintro_activity.domain import (
    HEALABLE,
    Actor,
    Entry,
    NameRef,
    Names,
    Subject,
    contiguous_from,
    is_safe_id,
    subject_of,
)
from hintro_activity.repository import BuildEntry, Document
from hintro_activity.summaries import Summary, summarize
from hintro_shared.boardview import BoardReaders
from hintro_shared.caller import Caller
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.outbox import outbox_fields
from hintro_shared.timeutil import rfc3339

_log = logging.getLogger(__name__)

SOURCE = "hintro/activity"
ACTIVITY_RECORDED = "activity.recorded"


class LogStore(Protocol):
    """The log (see :class:`~hintro_activity.repository.ActivityLog`)."""

    async def record(self, board_id: str, event_id: str, build: BuildEntry) -> int | None: ...

    async def head(self, board_id: str) -> int: ...

    async def newest(self, board_id: str, limit: int, before: int | None) -> list[Document]:
        """History pages: may be served by a lagging secondary (``MONGO_READ_DB``)."""
        ...

    async def after(
        self, board_id: str, after_seq: int, limit: int, *, head: int | None = None
    ) -> list[Document]:
        """The replay: always from the primary (it must see the latest entries)."""
        ...

    async def save_names(
        self, event_id: str, names: list[dict[str, str]], summary: str, unresolved: bool
    ) -> None: ...

    async def purge_board(self, board_id: str) -> int: ...


class NameStore(Protocol):
    """Names known now (see :class:`~hintro_activity.names.NameDirectory`)."""

    async def lookup(self, refs: Iterable[NameRef], *, version: int | None = None) -> Names: ...


@dataclass(frozen=True)
class Page:
    """A page of the log, newest first; ``next`` is the ``before`` of the following page."""

    items: list[Entry]
    next: int | None


@dataclass(frozen=True)
class Replay:
    """Entries after a seq, ascending and contiguous, and the board's current seq."""

    items: list[Entry]
    next: int | None
    seq: int


def board_of(envelope: EventEnvelope) -> str | None:
    """The board an event belongs to (envelope first, then its data)."""
    board_id = envelope.board_id or envelope.data.get("boardId")
    return board_id if isinstance(board_id, str) and is_safe_id(board_id) else None


def _unresolved(summary: Summary) -> bool:
    return any(ref.kind in HEALABLE for ref in summary.missing)


def entry_from_doc(doc: Mapping[str, Any], names: Names | None = None) -> Entry:
    """An entry document as the public entry (``names`` overrides the stored ones)."""
    names = names if names is not None else Names.from_doc(doc.get("names"))
    actor_id = (doc.get("actor") or {}).get("id")
    subject = doc.get("subject") or {}
    return Entry(
        id=str(doc["_id"]),
        board_id=doc["boardId"],
        seq=int(doc["seq"]),
        type=doc["type"],
        actor=Actor(actor_id, names.get(NameRef("user", actor_id)) if actor_id else None),
        subject=Subject(subject.get("kind", "board"), subject.get("id")),
        summary=doc.get("summary", ""),
        data=dict(doc.get("data") or {}),
        created_at=doc["createdAt"],
    )


class ActivityService:
    """Recording and reading the activity log."""

    def __init__(self, log: LogStore, names: NameStore, readers: BoardReaders) -> None:
        self._log = log
        self._names = names
        self._readers = readers

    # --- writing -------------------------------------------------------------------------------

    async def _summary(self, envelope: EventEnvelope) -> tuple[Summary, Names]:
        """Render once without names to learn which it needs, look them up, render again."""
        wanted = summarize(envelope.type, envelope.actor_id, envelope.data, Names()).missing
        version = envelope.data.get("version")
        names = (
            await self._names.lookup(wanted, version=version if isinstance(version, int) else None)
            if wanted
            else Names()
        )
        return summarize(envelope.type, envelope.actor_id, envelope.data, names), names

    async def record(self, envelope: EventEnvelope) -> int | None:
        """Record a board event as its board's next entry; returns the seq, or ``None`` when it
        was recorded before, its board is deleted, or it names no usable board."""
        board_id = board_of(envelope)
        if board_id is None:
            _log.warning(
                "board event without a usable boardId ignored", extra={"eventId": envelope.id}
            )
            return None
        # No "recorded already?" read here: ``LogStore.record`` makes that check itself, and
        # doing it twice cost every new event a round trip to spare a redelivery a name lookup.
        summary, names = await self._summary(envelope)
        subject = subject_of(envelope.type, board_id, envelope.data)
        created_at = rfc3339(envelope.time)
        base: Document = {
            "_id": envelope.id,
            "boardId": board_id,
            "type": envelope.type,
            "actor": {"id": envelope.actor_id},
            "subject": subject.to_doc(),
            "summary": summary.text,
            "names": names.to_doc(),
            "unresolved": _unresolved(summary),
            "data": envelope.data,
            "createdAt": created_at,
        }

        def build(seq: int) -> Document:
            recorded = new_event(
                ACTIVITY_RECORDED,
                source=SOURCE,
                board_id=board_id,
                actor_id=envelope.actor_id,
                correlation_id=envelope.correlation_id,
                origin_socket_id=envelope.origin_socket_id,
                data=_recorded_data(envelope, board_id, seq),
            )
            return {**base, "seq": seq, **outbox_fields(recorded, order=seq)}

        return await self._log.record(board_id, envelope.id, build)

    async def purge_board(self, board_id: str) -> int:
        """Delete a board's log (idempotent)."""
        return await self._log.purge_board(board_id)

    # --- reading -------------------------------------------------------------------------------

    async def history(self, caller: Caller, board_id: str, limit: int, before: int | None) -> Page:
        """A page of the board's log, newest first (members only, else 404; membership is
        checked on the primary, the page itself may come from a secondary)."""
        await self._readers.require_member(board_id, caller)
        docs = await self._log.newest(board_id, limit + 1, before)
        more = len(docs) > limit
        items = await self._render(docs[:limit])
        return Page(items, items[-1].seq if more and items else None)

    async def replay(self, caller: Caller, board_id: str, after_seq: int, limit: int) -> Replay:
        """Entries after ``after_seq``, ascending and without gaps, and the board's current seq
        (members only, else 404)."""
        await self._readers.require_member(board_id, caller)
        head = await self._log.head(board_id)
        docs = await self._log.after(board_id, after_seq, limit, head=head)
        docs = docs[: contiguous_from(after_seq, (int(doc["seq"]) for doc in docs))]
        items = await self._render(docs)
        last = items[-1].seq if items else after_seq
        head = max(head, last)
        return Replay(items, last if len(items) == limit and head > last else None, head)

    async def _render(self, docs: list[Document]) -> list[Entry]:
        """Entries, healing the summaries of those written before a name was known."""
        pending: dict[str, tuple[Names, Summary]] = {}
        wanted: set[NameRef] = set()
        for doc in docs:
            if not doc.get("unresolved"):
                continue
            names = Names.from_doc(doc.get("names"))
            summary = summarize(doc["type"], (doc.get("actor") or {}).get("id"), doc["data"], names)
            missing = {ref for ref in summary.missing if ref.kind in HEALABLE}
            pending[str(doc["_id"])] = (names, summary)
            wanted |= missing
        learnt = await self._names.lookup(wanted) if wanted else Names()
        entries: list[Entry] = []
        for doc in docs:
            held = pending.get(str(doc["_id"]))
            if held is None:
                entries.append(entry_from_doc(doc))
                continue
            names, before = held
            for ref in before.missing:
                name = learnt.get(ref)
                if name is not None:
                    names.add(ref, name)
            summary = summarize(doc["type"], (doc.get("actor") or {}).get("id"), doc["data"], names)
            if summary.text != doc.get("summary"):
                await self._log.save_names(
                    str(doc["_id"]), names.to_doc(), summary.text, _unresolved(summary)
                )
            entries.append(entry_from_doc({**doc, "summary": summary.text}, names))
        return entries


def _recorded_data(envelope: EventEnvelope, board_id: str, seq: int) -> dict[str, Any]:
    """``activity.recorded`` data: what realtime pushes (services/activity/README.md)."""
    data: dict[str, Any] = {
        "entryId": envelope.id,
        "seq": seq,
        "eventId": envelope.id,
        "eventType": envelope.type,
        "boardId": board_id,
        "actorId": envelope.actor_id,
        "occurredAt": rfc3339(envelope.time),
        "data": envelope.data,
    }
    if envelope.origin_socket_id:
        data["originSocketId"] = envelope.origin_socket_id
    return data
