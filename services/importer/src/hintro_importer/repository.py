"""The importer's storage in MongoDB: the jobs and their steps.

Documents::

    imports:      {_id: job id, ownerId, sha256, boardTitle, status, phase, done, total,
                   boardId, members: {<trello member id>: userId}, unmatched: [name],
                   warnings: [sentence], error: sentence | null, attempts,
                   createdAt: ms, updatedAt: ms}
                  unique (ownerId, sha256): one job per user and file; (ownerId, createdAt):
                  a user's jobs; (status, updatedAt): the interrupted-job sweep
    lookups:      {_id: userId, window: ms (the hour it counts), n}: the e-mail addresses the
                  user's imports looked up this hour
    import_steps: {_id: "<job id>:<chunk>", jobId, chunk, steps: [step]}
                  the plan, in chunks of ``CHUNK`` steps (a large board stays far below the
                  document size limit)

A job's progress, and what a step learnt (a member matched), are written in one update, so the
record never runs ahead of or behind what was done by more than the one step in flight, which
the services' create-if-absent makes safe to run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hintro_importer.domain import Job, Phase, Status, Step

Document = dict[str, Any]
CHUNK = 500


def job_from(doc: Mapping[str, Any]) -> Job:
    """A stored job as the entity."""
    return Job(
        id=str(doc["_id"]),
        owner_id=doc["ownerId"],
        sha256=doc["sha256"],
        board_title=doc.get("boardTitle", ""),
        status=Status(doc["status"]),
        phase=Phase(doc["phase"]),
        done=int(doc["done"]),
        total=int(doc["total"]),
        board_id=doc["boardId"],
        created_at=int(doc["createdAt"]),
        updated_at=int(doc["updatedAt"]),
        members=dict(doc.get("members") or {}),
        unmatched=list(doc.get("unmatched") or []),
        warnings=list(doc.get("warnings") or []),
        error=doc.get("error"),
        attempts=int(doc.get("attempts", 0)),
    )


class Jobs:
    """Import jobs and their plans."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["imports"]
        self._steps = db["import_steps"]
        self._lookups = db["lookups"]

    async def create_indexes(self) -> None:
        await self.collection.create_index(
            [("ownerId", ASCENDING), ("sha256", ASCENDING)], name="owner_file", unique=True
        )
        await self.collection.create_index(
            [("ownerId", ASCENDING), ("createdAt", DESCENDING)], name="owner_page"
        )
        await self.collection.create_index(
            [("status", ASCENDING), ("updatedAt", ASCENDING)], name="status_updated"
        )
        await self._steps.create_index([("jobId", ASCENDING)], name="job")

    async def find(self, owner_id: str, sha256: str) -> Job | None:
        """The owner's job of the file with this hash, if any."""
        doc = await self.collection.find_one({"ownerId": owner_id, "sha256": sha256})
        return None if doc is None else job_from(doc)

    async def insert(self, job: Job, steps: list[Step]) -> Job:
        """Store the plan, then the job; when the owner already has a job of this file (a
        concurrent upload of the same file), that job, and this one is not made."""
        for start in range(0, len(steps), CHUNK):
            chunk = start // CHUNK
            await self._steps.replace_one(
                {"_id": f"{job.id}:{chunk}"},
                {"jobId": job.id, "chunk": chunk, "steps": steps[start : start + CHUNK]},
                upsert=True,
            )
        doc: Document = {
            "_id": job.id,
            "ownerId": job.owner_id,
            "sha256": job.sha256,
            "boardTitle": job.board_title,
            "status": job.status.value,
            "phase": job.phase.value,
            "done": job.done,
            "total": job.total,
            "boardId": job.board_id,
            "members": job.members,
            "unmatched": job.unmatched,
            "warnings": job.warnings,
            "error": job.error,
            "attempts": job.attempts,
            "createdAt": job.created_at,
            "updatedAt": job.updated_at,
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            await self._steps.delete_many({"jobId": job.id})
            existing = await self.find(job.owner_id, job.sha256)
            if existing is None:  # deleted in between: rare, and the caller may retry
                raise
            return existing
        return job

    async def get(self, job_id: str) -> Job | None:
        doc = await self.collection.find_one({"_id": job_id})
        return None if doc is None else job_from(doc)

    async def of_owner(self, owner_id: str, limit: int) -> list[Job]:
        """The owner's jobs, newest first."""
        cursor = self.collection.find({"ownerId": owner_id}).sort("createdAt", DESCENDING)
        return [job_from(doc) async for doc in cursor.limit(limit)]

    async def steps(self, job_id: str, start: int) -> list[Step]:
        """The job's steps from index ``start`` on."""
        steps: list[Step] = []
        cursor = self._steps.find({"jobId": job_id, "chunk": {"$gte": start // CHUNK}})
        chunks = sorted([doc async for doc in cursor], key=lambda doc: int(doc["chunk"]))
        for doc in chunks:
            steps += doc["steps"]
        return steps[start - (start // CHUNK) * CHUNK :]

    async def claim(self, job_id: str, statuses: list[Status], before: int, now: int) -> bool:
        """Mark the job running (and count the start) if it is in one of ``statuses`` and was
        last touched before ``before`` (ms): one runner at a time, across replicas."""
        result = await self.collection.update_one(
            {
                "_id": job_id,
                "status": {"$in": [status.value for status in statuses]},
                "updatedAt": {"$lt": before},
            },
            {
                "$set": {"status": Status.RUNNING.value, "error": None, "updatedAt": now},
                "$inc": {"attempts": 1},
            },
        )
        return result.modified_count == 1

    async def progress(self, job_id: str, done: int, phase: Phase, now: int, **learnt: Any) -> None:
        """Record ``done`` steps (and what the last one learnt: ``members``, ``unmatched``)."""
        fields: Document = {"done": done, "phase": phase.value, "updatedAt": now}
        fields.update(learnt)
        await self.collection.update_one(
            {"_id": job_id, "status": Status.RUNNING.value}, {"$set": fields}
        )

    async def finish(self, job_id: str, now: int) -> None:
        await self.collection.update_one(
            {"_id": job_id, "status": Status.RUNNING.value},
            {"$set": {"status": Status.DONE.value, "phase": Phase.DONE.value, "updatedAt": now}},
        )

    async def fail(self, job_id: str, reason: str, now: int) -> None:
        await self.collection.update_one(
            {"_id": job_id, "status": Status.RUNNING.value},
            {"$set": {"status": Status.FAILED.value, "error": reason, "updatedAt": now}},
        )

    async def interrupted(self, before: int) -> list[str]:
        """Jobs running or queued that nobody has touched since ``before`` (ms): their runner
        is gone (a restart, a crash)."""
        cursor = self.collection.find(
            {
                "status": {"$in": [Status.RUNNING.value, Status.QUEUED.value]},
                "updatedAt": {"$lt": before},
            },
            {"_id": 1},
        )
        return [str(doc["_id"]) async for doc in cursor]

    async def fail_stale(self, job_id: str, reason: str, before: int, now: int) -> bool:
        """Fail a job found interrupted, unless its runner touched it meanwhile."""
        result = await self.collection.update_one(
            {
                "_id": job_id,
                "status": {"$in": [Status.RUNNING.value, Status.QUEUED.value]},
                "updatedAt": {"$lt": before},
            },
            {"$set": {"status": Status.FAILED.value, "error": reason, "updatedAt": now}},
        )
        return result.modified_count == 1

    async def charge_lookup(self, user_id: str, window: int, budget: int) -> bool:
        """Count one e-mail lookup of the user in the hour starting at ``window`` (ms); whether
        it is within ``budget``. A new hour starts the count again."""
        doc = await self._lookups.find_one_and_update(
            {"_id": user_id, "window": window},
            {"$inc": {"n": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            await self._lookups.replace_one(
                {"_id": user_id}, {"window": window, "n": 1}, upsert=True
            )
            return budget >= 1
        return int(doc["n"]) <= budget
