"""The search index in MongoDB: a word index the task service keeps itself, because the
embedded server does not support MongoDB's text index (``tests/test_task_search_conformance.py``
proves it; docs/architecture.md, "Search", says why this design).

Documents::

    search_items: {_id: itemId, kind, boardId, taskId, listId, title, text, updatedAt,
                   archived: 0|1, v, deleted?}
    search_terms: {_id: "<itemId>|<v>|<word>", w: word, b: boardId, i: itemId, k: taskId,
                   p: places (TITLE|DESCRIPTION|COMMENT bits), u: updatedAt, a: 0|1, v}
    search_names: {_id: "board:<id>" | "list:<id>", title, version}

An item is a task (its id) or a comment (``c:<commentId>``). A query word is looked up as a
range on ``w`` (every word it starts) within the caller's boards, one index range scan per word.

Writes come from the task service's own consumer (task and comment events), off the request
path, and are idempotent and order-proof without transactions: an item is claimed at a version
(only if what is stored is not newer), its words are inserted under that version (ids carry
it, so two versions never collide), and then every posting older than the item's *current*
version is deleted, so whichever writer finishes last leaves exactly the newest version's words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hintro_shared.events.idempotency import apply_if_newer
from hintro_task.searching import (
    BUCKET,
    COMMENT,
    DESCRIPTION,
    TITLE,
    Candidate,
    Tier,
    posting_keys,
    postings,
    ranked_key,
    term_score,
)

Document = dict[str, Any]
_WORD_END = "\uffff"
# A word of fewer letters than BUCKET has no prefix stream: its prefix matches are read
# unordered, at most this many, and ranked in memory.
SHORT_PREFIX_MAX = 2000


def places_of(kind: str, title: str, text: str) -> dict[int, str]:
    """An item's texts by place: a task's title and description, a comment's body."""
    if kind == "task":
        return {TITLE: title, DESCRIPTION: text}
    return {COMMENT: text}


def comment_item_id(comment_id: str) -> str:
    """The index id of a comment (tasks keep their own ids)."""
    return f"c:{comment_id}"


@dataclass(frozen=True)
class SearchItem:
    """What the index holds of a task or a comment at one version."""

    id: str
    kind: str
    board_id: str
    task_id: str
    list_id: str
    title: str
    text: str
    updated_at: str
    version: int
    archived: bool = False

    def places(self) -> dict[int, str]:
        """The item's texts by place (see :func:`places_of`)."""
        return places_of(self.kind, self.title, self.text)


@dataclass(frozen=True)
class CommentText:
    """What search reads of a comment."""

    id: str
    task_id: str
    board_id: str
    text: str
    updated_at: str
    version: int


@dataclass(frozen=True)
class StoredItem:
    """An indexed item as a hit is shaped from it."""

    id: str
    kind: str
    board_id: str
    task_id: str
    list_id: str
    title: str
    text: str
    updated_at: str
    archived: bool

    def places(self) -> dict[int, str]:
        """The item's texts by place (see :func:`places_of`)."""
        return places_of(self.kind, self.title, self.text)


@dataclass(frozen=True)
class Posting:
    """One posting as an ordered read returns it: the item, its time, its ranked key."""

    item_id: str
    updated_at: str
    key: str


def _stored(doc: Document) -> StoredItem:
    return StoredItem(
        id=doc["_id"],
        kind=doc.get("kind", "task"),
        board_id=doc.get("boardId", ""),
        task_id=str(doc.get("taskId") or doc["_id"]),
        list_id=doc.get("listId", ""),
        title=doc.get("title", ""),
        text=doc.get("text", ""),
        updated_at=doc.get("updatedAt", ""),
        archived=bool(doc.get("archived", 0)),
    )


def _item_fields(item: SearchItem) -> Document:
    """What ``search_items`` holds of an item (besides its id and version)."""
    return {
        "kind": item.kind,
        "boardId": item.board_id,
        "taskId": item.task_id,
        "listId": item.list_id,
        "title": item.title,
        "text": item.text,
        "updatedAt": item.updated_at,
        "archived": 1 if item.archived else 0,
    }


def _posting_docs(item: SearchItem) -> list[Document]:
    """The item's postings at its version: one per distinct word."""
    return [
        {
            "_id": f"{item.id}|{item.version}|{word}",
            "w": word,
            "b": item.board_id,
            "i": item.id,
            "k": item.task_id,
            "p": places,
            "u": item.updated_at,
            "a": 1 if item.archived else 0,
            "v": item.version,
            **posting_keys(word, places, item.updated_at, item.id),
        }
        for word, places in postings(item.places()).items()
    ]


def _scope(boards: Sequence[str], archived: bool) -> Document:
    """The part of every query that keeps to the caller's boards and the archived flag."""
    return {"b": {"$in": list(boards)}, "a": 1 if archived else 0}


class SearchIndex:
    """The ``search_items``, ``search_terms`` and ``search_names`` collections."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.items: AsyncCollection[Document] = db["search_items"]
        self.terms: AsyncCollection[Document] = db["search_terms"]
        self.names: AsyncCollection[Document] = db["search_names"]
        # The comments' own collection (hintro_task.repository.CommentRepository), read only.
        self.comments: AsyncCollection[Document] = db["comments"]
        # Documents the queries have read (postings and items): what a bounded read is
        # measured by (tests, and the reason a common word stays cheap).
        self.docs_read = 0

    async def create_indexes(self) -> None:
        """A word range within boards (the query), an item's postings by version (cleanup), a
        task's postings (its comments follow it)."""
        await self.terms.create_index([("w", ASCENDING), ("b", ASCENDING)], name="word_board")
        await self.terms.create_index([("r", ASCENDING)], name="ranked_word")
        await self.terms.create_index([("x", ASCENDING)], name="ranked_prefix")
        await self.terms.create_index([("i", ASCENDING), ("v", ASCENDING)], name="item_version")
        await self.terms.create_index([("k", ASCENDING)], name="task")
        await self.items.create_index([("taskId", ASCENDING)], name="task")

    # --- writes (the consumer) -----------------------------------------------------------------

    async def _claim(
        self, item_id: str, version: int, fields: Document, *, live: bool = True
    ) -> bool:
        """Store ``fields`` at ``version`` unless a newer version is stored (the same version
        again is allowed: a redelivery completes what a crash interrupted)."""
        update: Document = {"$set": {**fields, "v": version}}
        if live:
            update["$unset"] = {"deleted": ""}
        try:
            result = await self.items.update_one(
                {"_id": item_id, "v": {"$lte": version}}, update, upsert=True
            )
        except DuplicateKeyError:
            return False  # a newer version is stored
        return result.matched_count > 0 or result.upserted_id is not None

    async def _clean(self, item_id: str) -> None:
        """Drop the postings older than the item's current version (all of them once it is
        deleted)."""
        doc = await self.items.find_one({"_id": item_id}, {"v": 1, "deleted": 1})
        if doc is None:
            return
        if doc.get("deleted"):
            await self.terms.delete_many({"i": item_id})
        else:
            await self.terms.delete_many({"i": item_id, "v": {"$lt": doc["v"]}})

    async def put(self, item: SearchItem) -> bool:
        """Index ``item`` at its version; ``False`` when a newer version is indexed already."""
        if not await self._claim(item.id, item.version, _item_fields(item)):
            return False
        docs = _posting_docs(item)
        if docs:
            try:
                await self.terms.insert_many(docs, ordered=False)
            except BulkWriteError as exc:
                # Only duplicates (a redelivery) are expected; anything else is a real failure.
                if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                    raise
        await self._clean(item.id)
        return True

    async def remove(self, item_id: str, version: int) -> None:
        """Forget ``item_id`` as of ``version`` (a tombstone stays, so an older event cannot
        bring it back)."""
        await self._claim(item_id, version, {"deleted": True}, live=False)
        await self._clean(item_id)

    async def remove_task(self, task_id: str, version: int) -> None:
        """Forget a task and its comments."""
        await self.remove(task_id, version)
        async for doc in self.items.find({"taskId": task_id, "kind": "comment"}, {"v": 1}):
            await self.remove(doc["_id"], int(doc.get("v", 0)) + 1)
        await self.terms.delete_many({"k": task_id})

    async def set_task_archived(self, task_id: str, archived: bool) -> None:
        """A task's comments are archived and restored with it."""
        flag = 1 if archived else 0
        await self.items.update_many(
            {"taskId": task_id, "kind": "comment"}, {"$set": {"archived": flag}}
        )
        await self.terms.update_many(
            {"k": task_id, "i": {"$nin": [task_id]}, "a": {"$nin": [flag]}}, {"$set": {"a": flag}}
        )

    async def put_many(self, items: Sequence[SearchItem]) -> None:
        """Index items no index entry exists for yet, in bulk (a backfill, the benchmark's
        seeding): the same documents :meth:`put` writes, without the per-item guard."""
        if not items:
            return
        await self.items.insert_many(
            [{"_id": item.id, **_item_fields(item), "v": item.version} for item in items],
            ordered=False,
        )
        docs = [doc for item in items for doc in _posting_docs(item)]
        for start in range(0, len(docs), 5000):
            await self.terms.insert_many(docs[start : start + 5000], ordered=False)

    async def set_name(self, kind: str, object_id: str, title: str, version: int) -> None:
        """Remember a board's or list's title as of ``version`` (newer wins)."""
        await apply_if_newer(self.names, {"_id": f"{kind}:{object_id}"}, version, {"title": title})

    async def comment(self, comment_id: str) -> CommentText | None:
        """A comment as search indexes it: posted or being posted (its event may arrive before
        the comment settles), not being deleted nor deleted."""
        doc = await self.comments.find_one(
            {"_id": comment_id, "deleted": {"$nin": [True]}},
            {"taskId": 1, "boardId": 1, "text": 1, "updatedAt": 1, "version": 1, "pending": 1},
        )
        if doc is None or doc.get("pending") == "delete":
            return None
        return CommentText(
            id=comment_id,
            task_id=doc["taskId"],
            board_id=doc["boardId"],
            text=doc.get("text", ""),
            updated_at=str(doc.get("updatedAt", "")),
            version=int(doc.get("version", 1)),
        )

    # --- reads (the query) ---------------------------------------------------------------------

    async def candidates(
        self,
        term: str,
        boards: Sequence[str],
        *,
        archived: bool,
        cap: int | None,
        among: Iterable[str] | None = None,
    ) -> dict[str, Candidate] | None:
        """Every item of ``boards`` that ``term`` starts a word of, with its best score for it;
        ``None`` when there are more than ``cap`` postings (a common word: it is ranked from
        its ordered streams instead). With ``among``, only those items' postings are returned:
        the server still walks the word's range, but a posting of another item is dropped
        there and never shaped into a document (what a document costs on nx-27017)."""
        query: Document = {"w": {"$gte": term, "$lt": term + _WORD_END}, **_scope(boards, archived)}
        if among is not None:
            query["i"] = {"$in": list(among)}
        found: dict[str, Candidate] = {}
        read = 0
        # Whole postings: see the module's note on projections.
        cursor = self.terms.find(query)
        async for doc in cursor if cap is None else cursor.limit(cap + 1):
            read += 1
            candidate = found.get(doc["i"])
            if candidate is None:
                candidate = found[doc["i"]] = Candidate(doc["i"], doc.get("u", ""))
            candidate.take(term, term_score(term, doc["w"], int(doc.get("p", 0))))
        self.docs_read += read
        return None if cap is not None and read > cap else found

    async def more_than(self, term: str, cap: int) -> bool:
        """Whether ``term`` starts more than ``cap`` words in the whole index (every board, so
        the answer costs the same for every caller): the one posting past the first ``cap`` of
        the word's range, which the server steps over without reading them as documents."""
        query: Document = {"w": {"$gte": term, "$lt": term + _WORD_END}}
        beyond = await self.terms.find(query).skip(cap).limit(1).to_list()
        self.docs_read += len(beyond)
        return bool(beyond)

    async def ranked(
        self,
        term: str,
        tier: Tier,
        boards: Sequence[str],
        *,
        archived: bool,
        after: str | None,
        limit: int,
    ) -> list[Posting]:
        """Up to ``limit`` postings of ``tier`` of ``term`` in ``boards``, in rank order,
        after the key ``after``: one ordered index range read (``r`` for a whole word, ``x``
        for a prefix), so a word in every task costs what a rare one does."""
        if not tier.exact and len(term) < BUCKET:
            return await self._short_prefix(
                term, tier, boards, archived=archived, after=after, limit=limit
            )
        field = "r" if tier.exact else "x"
        head = tier.head(term)
        bounds: Document = {"$gt": after} if after is not None else {"$gte": head}
        bounds["$lt"] = head[:-1] + "!"
        query: Document = {field: bounds, **_scope(boards, archived)}
        if not tier.exact:
            query["w"] = {"$gt": term, "$lt": term + _WORD_END}
        cursor = self.terms.find(query, {field: 1, "i": 1, "u": 1, "_id": 0})
        rows = [
            Posting(doc["i"], doc.get("u", ""), doc[field])
            async for doc in cursor.sort(field, ASCENDING).limit(limit)
        ]
        self.docs_read += len(rows)
        return rows

    async def _short_prefix(
        self,
        term: str,
        tier: Tier,
        boards: Sequence[str],
        *,
        archived: bool,
        after: str | None,
        limit: int,
    ) -> list[Posting]:
        query: Document = {"w": {"$gt": term, "$lt": term + _WORD_END}, **_scope(boards, archived)}
        rows = []
        # Whole postings: see the module's note on projections.
        async for doc in self.terms.find(query).limit(SHORT_PREFIX_MAX):
            self.docs_read += 1
            places = int(doc.get("p", 0))
            if bool(places & TITLE) != tier.title:
                continue
            key = ranked_key(term[:BUCKET], places, doc.get("u", ""), doc["i"])
            if after is None or key > after:
                rows.append(Posting(doc["i"], doc.get("u", ""), key))
        rows.sort(key=lambda row: row.key)
        return rows[:limit]

    async def items_by_id(self, ids: Iterable[str]) -> dict[str, StoredItem]:
        """The live indexed items among ``ids``."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        cursor = self.items.find({"_id": {"$in": wanted}, "deleted": {"$nin": [True]}})
        found = {doc["_id"]: _stored(doc) async for doc in cursor}
        self.docs_read += len(found)
        return found

    async def titles(self, keys: Iterable[str]) -> dict[str, str]:
        """Known titles by ``board:<id>`` / ``list:<id>`` key."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        cursor = self.names.find({"_id": {"$in": wanted}})  # whole: see the module's note
        return {doc["_id"]: doc["title"] async for doc in cursor}
