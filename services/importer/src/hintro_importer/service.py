"""The importer's use cases: upload an export, read a job, resume one, and the runner that does
a job's steps (docs/api.md, "Imports").

A job runs in the process that received the upload (or the resume), as a background task
holding the user's ``Authorization`` header in memory. After every step the job records how
many are done; a step is one create (or archive, or member added) whose id is derived from the
job, and the services create a thing named by its id only if it is absent, so running a step
twice changes nothing. A job whose runner died (a restart) is found by the sweep, marked failed
and resumed by ``POST /api/imports/{id}/resume``, which needs the user's token again: the
importer never stores one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from hintro_importer.domain import (
    PHASE_OF_KIND,
    Answer,
    Job,
    NotResumable,
    Phase,
    Status,
    Step,
    StepFailed,
)
from hintro_importer.trello import build_plan, parse_json
from hintro_shared.caller import Caller
from hintro_shared.ids import new_id
from hintro_shared.refusals import NotFound

_log = logging.getLogger(__name__)
JOBS_LISTED = 20
_HOUR_MS = 3_600_000
INTERRUPTED = "The import was interrupted (the importer restarted); resume it to continue."


class JobStore(Protocol):
    async def find(self, owner_id: str, sha256: str) -> Job | None: ...
    async def insert(self, job: Job, steps: list[Step]) -> Job: ...
    async def get(self, job_id: str) -> Job | None: ...
    async def of_owner(self, owner_id: str, limit: int) -> list[Job]: ...
    async def steps(self, job_id: str, start: int) -> list[Step]: ...
    async def claim(self, job_id: str, statuses: list[Status], before: int, now: int) -> bool: ...
    async def progress(
        self, job_id: str, done: int, phase: Phase, now: int, **learnt: Any
    ) -> None: ...
    async def finish(self, job_id: str, now: int) -> None: ...
    async def fail(self, job_id: str, reason: str, now: int) -> None: ...
    async def interrupted(self, before: int) -> list[str]: ...
    async def fail_stale(self, job_id: str, reason: str, before: int, now: int) -> bool: ...
    async def charge_lookup(self, user_id: str, window: int, budget: int) -> bool: ...


class SuitePort(Protocol):
    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        authorization: str,
        body: Any = None,
        request_id: str,
    ) -> Answer: ...


def _p(value: str) -> str:
    return quote(value, safe="")


def _detail(answer: Answer) -> str:
    body = answer.body
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return f"{body.get('detail', '')} ({errors[0].get('msg', '')})".strip()
        return str(body.get("detail", ""))
    return ""


class ImportService:
    """Import jobs: start, read, resume, and run."""

    def __init__(
        self,
        jobs: JobStore,
        suite: SuitePort,
        clock: Callable[[], int],
        *,
        stale_after_ms: int,
        lookups_per_hour: int = 100,
        fail_after_steps: int = 0,
    ) -> None:
        self._jobs = jobs
        self._suite = suite
        self._clock = clock
        self._stale_after_ms = stale_after_ms
        self._fail_after_steps = fail_after_steps
        self._lookups_per_hour = lookups_per_hour
        self._running: dict[str, asyncio.Task[None]] = {}

    # --- use cases -----------------------------------------------------------------------------

    async def upload(self, caller: Caller, raw: bytes, authorization: str) -> tuple[Job, bool]:
        """Start importing ``raw`` (a Trello export); ``(job, True)``. The same file uploaded
        again by the same user: ``(its existing job, False)``, and nothing is made twice."""
        sha256 = hashlib.sha256(raw).hexdigest()
        existing = await self._jobs.find(caller.user_id, sha256)
        if existing is not None:
            return existing, False
        body = parse_json(raw)
        job_id = new_id()
        plan = build_plan(body, job_id)
        now = self._clock()
        job = Job(
            id=job_id,
            owner_id=caller.user_id,
            sha256=sha256,
            board_title=plan.board_title,
            status=Status.QUEUED,
            phase=Phase.BOARD,
            done=0,
            total=len(plan.steps),
            board_id=plan.steps[0]["id"],
            created_at=now,
            updated_at=now,
            unmatched=plan.unmatched,
            warnings=plan.warnings,
        )
        stored = await self._jobs.insert(job, plan.steps)
        if stored.id != job.id:
            return stored, False
        await self._start(job.id, [Status.QUEUED], authorization, now + 1)
        return await self._job(caller, job.id), True

    async def get(self, caller: Caller, job_id: str) -> Job:
        """One of the caller's jobs (404 for anyone else's)."""
        return await self._job(caller, job_id)

    async def mine(self, caller: Caller) -> list[Job]:
        """The caller's latest jobs, newest first."""
        return await self._jobs.of_owner(caller.user_id, JOBS_LISTED)

    async def resume(self, caller: Caller, job_id: str, authorization: str) -> Job:
        """Continue a failed job (or one whose runner is gone) from its last recorded step."""
        job = await self._job(caller, job_id)
        if job.status is Status.DONE:
            raise NotResumable(job.status)
        now = self._clock()
        stale = now - self._stale_after_ms
        if job.status is Status.FAILED:
            started = await self._start(job.id, [Status.FAILED], authorization, now + 1)
        else:
            started = await self._start(
                job.id, [Status.RUNNING, Status.QUEUED], authorization, stale
            )
        if not started:
            raise NotResumable(Status.RUNNING)
        return await self._job(caller, job.id)

    async def sweep(self) -> int:
        """Fail the jobs whose runner is gone (so their owner may resume them); how many."""
        now = self._clock()
        before = now - self._stale_after_ms
        failed = 0
        for job_id in await self._jobs.interrupted(before):
            if job_id not in self._running and await self._jobs.fail_stale(
                job_id, INTERRUPTED, before, now
            ):
                failed += 1
        return failed

    async def stop(self) -> None:
        """Stop the runners of this process; their jobs are failed, resumable."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_idle(self) -> None:
        """Wait until no job runs in this process (tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    # --- the runner ---------------------------------------------------------------------------

    async def _job(self, caller: Caller, job_id: str) -> Job:
        job = await self._jobs.get(job_id)
        if job is None or job.owner_id != caller.user_id:
            raise NotFound("import")
        return job

    async def _start(
        self, job_id: str, statuses: list[Status], authorization: str, before: int
    ) -> bool:
        if job_id in self._running or not await self._jobs.claim(
            job_id, statuses, before, self._clock()
        ):
            return False
        task = asyncio.create_task(self._run(job_id, authorization), name=f"import-{job_id}")
        self._running[job_id] = task
        task.add_done_callback(lambda _: self._running.pop(job_id, None))
        return True

    async def _run(self, job_id: str, authorization: str) -> None:
        try:
            job = await self._jobs.get(job_id)
            if job is None:
                return
            await self._steps(job, authorization)
            await self._jobs.finish(job_id, self._clock())
        except StepFailed as failure:
            await self._jobs.fail(job_id, failure.reason, self._clock())
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._jobs.fail(job_id, INTERRUPTED, self._clock()))
            raise
        except Exception:
            _log.exception("import failed", extra={"job": job_id})
            await self._jobs.fail(
                job_id, "The import failed unexpectedly; resume it to try again.", self._clock()
            )

    async def _steps(self, job: Job, authorization: str) -> None:
        members, unmatched = dict(job.members), list(job.unmatched)
        first_run = job.attempts <= 1
        for index, step in enumerate(await self._jobs.steps(job.id, job.done), start=job.done):
            learnt = await self._do(job, step, authorization, members, unmatched)
            if first_run and index + 1 == self._fail_after_steps:
                raise StepFailed(f"Injected failure after step {index + 1} (FAIL_AFTER_STEPS).")
            phase = PHASE_OF_KIND[step["k"]]
            await self._jobs.progress(job.id, index + 1, phase, self._clock(), **learnt)

    async def _do(
        self,
        job: Job,
        step: Step,
        authorization: str,
        members: dict[str, str],
        unmatched: list[str],
    ) -> dict[str, Any]:
        """Do one step; what it learnt, to be recorded with the progress."""
        board = _p(job.board_id)
        kind = step["k"]

        async def call(
            service: str, path: str, body: Any = None, ok: tuple[int, ...] = ()
        ) -> Answer:
            answer = await self._suite.call(
                service,
                "POST" if body is not None or path.endswith("archive") else "GET",
                path,
                authorization=authorization,
                body=body,
                request_id=f"import-{job.id}",
            )
            if answer.status in (200, 201, *ok):
                return answer
            if answer.status == 401:
                raise StepFailed("Your session ended during the import; resume it to continue.")
            if answer.status in (403, 404) and kind != "board":
                raise StepFailed("The board being imported is gone or you may no longer change it.")
            detail = _detail(answer)
            raise StepFailed(f"A {kind.replace('_', ' ')} could not be imported: {detail}")

        if kind == "board":
            body = {"id": step["id"], "title": step["title"], "description": step["description"]}
            await call("board", "/api/boards", body)
        elif kind == "label":
            body = {"id": step["id"], "name": step["name"], "color": step["color"]}
            await call("board", f"/api/boards/{board}/labels", body)
        elif kind == "list":
            await call(
                "board", f"/api/boards/{board}/lists", {"id": step["id"], "title": step["title"]}
            )
        elif kind == "member":
            return await self._member(job, step, call, members, unmatched)
        elif kind == "task":
            body = {
                key: step[key]
                for key in ("id", "listId", "title", "description", "labelIds", "dueComplete")
            }
            for key in ("startDate", "dueDate"):
                if step.get(key):
                    body[key] = step[key]
            body["assigneeIds"] = list(
                dict.fromkeys(members[m] for m in step["members"] if m in members)
            )
            await call("task", f"/api/boards/{board}/tasks", body)
        elif kind == "checklist":
            path = f"/api/tasks/{_p(step['taskId'])}/checklists"
            await call("task", path, {"id": step["id"], "title": step["title"]})
        elif kind == "item":
            body = {"id": step["id"], "text": step["text"], "done": step["done"]}
            if step.get("dueDate"):
                body["dueDate"] = step["dueDate"]
            if step.get("member") in members:
                body["assigneeId"] = members[step["member"]]
            path = f"/api/tasks/{_p(step['taskId'])}/checklists/{_p(step['checklistId'])}/items"
            await call("task", path, body)
        elif kind == "comment":
            body = {
                "id": step["id"],
                "text": step["text"],
                "imported": {"authorName": step["authorName"], "createdAt": step["createdAt"]},
            }
            await call("task", f"/api/tasks/{_p(step['taskId'])}/comments", body)
        elif kind == "archive_task":
            # 409: archived already (by the run that stopped right after it).
            await call("task", f"/api/tasks/{_p(step['taskId'])}/archive", ok=(409,))
        elif kind == "archive_list":
            await call("board", f"/api/lists/{_p(step['listId'])}/archive", ok=(409,))
        elif kind == "archive_board":
            await call("board", f"/api/boards/{board}/archive", ok=(409,))
        return {}

    async def _member(
        self,
        job: Job,
        step: Step,
        call: Callable[..., Any],
        members: dict[str, str],
        unmatched: list[str],
    ) -> dict[str, Any]:
        """Match a Trello member by e-mail: an account found joins the board as an editor. Each
        lookup is charged to the importing user's hourly budget, so imports are no way around
        the gateway's limit on finding out who has an account; past it, members stay
        unmatched."""
        window = self._clock() // _HOUR_MS * _HOUR_MS
        if not await self._jobs.charge_lookup(job.owner_id, window, self._lookups_per_hour):
            if step["name"] not in unmatched:
                unmatched.append(step["name"])
            return {"unmatched": unmatched}
        found: Answer = await call("board", f"/api/users?email={_p(step['email'])}", ok=(404, 422))
        user = found.body if found.status == 200 and isinstance(found.body, dict) else None
        if user is None or not isinstance(user.get("id"), str):
            if step["name"] not in unmatched:
                unmatched.append(step["name"])
            return {"unmatched": unmatched}
        user_id = user["id"]
        if user_id != job.owner_id:
            # 409: a member already (added by the run that stopped right after it).
            await call(
                "board",
                f"/api/boards/{_p(job.board_id)}/members",
                {"userId": user_id, "role": "editor"},
                ok=(409,),
            )
        members[step["t"]] = user_id
        return {f"members.{step['t']}": user_id}
