"""The import use cases over in-memory ports: a stand-in for the board and task services that
honours given ids as they do (create-if-absent), and a job store with the same compare-and-set
rules as the MongoDB one. Checks what the runner decides: the order of calls, member matching,
the answers it accepts, the sentences it fails with, and a resume that makes nothing twice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hintro_importer.domain import Answer, Job, NotResumable, Phase, Status, Step
from hintro_importer.service import ImportService
from hintro_shared.caller import Caller
from hintro_shared.refusals import NotFound

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "trello" / "board.json"
OWNER = Caller(user_id="owner")
ADA = "ada-user"


class Store:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.plans: dict[str, list[Step]] = {}
        self.lookups: dict[tuple[str, int], int] = {}

    async def find(self, owner_id: str, sha256: str) -> Job | None:
        found = [j for j in self.jobs.values() if (j.owner_id, j.sha256) == (owner_id, sha256)]
        return copy.deepcopy(found[0]) if found else None

    async def insert(self, job: Job, steps: list[Step]) -> Job:
        self.jobs[job.id], self.plans[job.id] = copy.deepcopy(job), steps
        return job

    async def get(self, job_id: str) -> Job | None:
        return copy.deepcopy(self.jobs.get(job_id))

    async def of_owner(self, owner_id: str, limit: int) -> list[Job]:
        return [j for j in self.jobs.values() if j.owner_id == owner_id][:limit]

    async def steps(self, job_id: str, start: int) -> list[Step]:
        return self.plans[job_id][start:]

    async def claim(self, job_id: str, statuses: list[Status], before: int, now: int) -> bool:
        job = self.jobs[job_id]
        if job.status not in statuses or job.updated_at >= before:
            return False
        job.status, job.error, job.updated_at = Status.RUNNING, None, now
        job.attempts += 1
        return True

    async def progress(self, job_id: str, done: int, phase: Phase, now: int, **learnt: Any) -> None:
        job = self.jobs[job_id]
        job.done, job.phase, job.updated_at = done, phase, now
        for key, value in learnt.items():
            if key.startswith("members."):
                job.members[key.split(".", 1)[1]] = value
            elif key == "unmatched":
                job.unmatched = list(value)

    async def finish(self, job_id: str, now: int) -> None:
        self.jobs[job_id].status, self.jobs[job_id].phase = Status.DONE, Phase.DONE

    async def fail(self, job_id: str, reason: str, now: int) -> None:
        self.jobs[job_id].status, self.jobs[job_id].error = Status.FAILED, reason
        self.jobs[job_id].updated_at = now

    async def interrupted(self, before: int) -> list[str]:
        return []

    async def fail_stale(self, job_id: str, reason: str, before: int, now: int) -> bool:
        return False

    async def charge_lookup(self, user_id: str, window: int, budget: int) -> bool:
        key = (user_id, window)
        self.lookups[key] = self.lookups.get(key, 0) + 1
        return self.lookups[key] <= budget


class Services:
    """The board and task services as far as an import sees them."""

    def __init__(self) -> None:
        self.made: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.members: set[str] = set()
        self.archived: set[str] = set()
        self.down_for: int = 0
        self.session_over = False

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        authorization: str,
        body: Any = None,
        request_id: str,
    ) -> Answer:
        assert authorization == "Bearer user-token"
        self.calls.append((method, path))
        if self.session_over:
            return Answer(401, {"detail": "expired"})
        if path.startswith("/api/users?email="):
            found = path.endswith("ada%40example.test")
            return Answer(200, {"id": ADA}) if found else Answer(404, {"detail": "no such user"})
        if path.endswith("/members"):
            if body["userId"] in self.members:
                return Answer(409, {"detail": "already a member"})
            self.members.add(body["userId"])
            return Answer(201, {})
        if path.endswith("/archive"):
            if path in self.archived:
                return Answer(409, {"detail": "already archived"})
            self.archived.add(path)
            return Answer(200, {})
        if body["id"] in self.made:
            return Answer(200, self.made[body["id"]])
        self.made[body["id"]] = {"path": path, **body}
        return Answer(201, body)


def _raw(ada_email: str = "ada@example.test") -> bytes:
    export = json.loads(FIXTURE.read_text())
    export["members"][0]["email"] = ada_email
    return json.dumps(export).encode()


def _service(
    store: Store, services: Services, fail_after: int = 0, lookups: int = 100
) -> ImportService:
    clock = iter(range(1_000, 10**9, 10))
    return ImportService(
        store,
        services,
        lambda: next(clock),
        stale_after_ms=60_000,
        lookups_per_hour=lookups,
        fail_after_steps=fail_after,
    )


async def test_a_run_makes_everything_once_in_order_and_matches_members() -> None:
    store, services = Store(), Services()
    importer = _service(store, services)
    job, created = await importer.upload(OWNER, _raw(), "Bearer user-token")
    assert created
    await importer.wait_idle()
    done = await importer.get(OWNER, job.id)
    assert (done.status, done.done, done.total) == (Status.DONE, 29, 29)
    assert done.members == {"65a1f0c2b7e4d3a1c0f9e8a1": ADA}
    assert done.unmatched == ["Grace Hopper", "Linus Example"]
    assert services.members == {ADA}
    # 1 board + 4 labels + 4 lists + 7 cards + 2 checklists + 4 items + 3 comments
    assert len(services.made) == 25
    design = next(m for m in services.made.values() if m.get("title") == "Design the landing page")
    assert design["assigneeIds"] == [ADA]
    pricing = next(m for m in services.made.values() if m.get("text") == "Pricing table")
    assert pricing["assigneeId"] == ADA
    assert len(services.archived) == 2
    # The same file again: the same job, nothing called.
    calls = len(services.calls)
    again, created = await importer.upload(OWNER, _raw(), "Bearer user-token")
    assert (again.id, created, len(services.calls)) == (job.id, False, calls)
    with pytest.raises(NotResumable):
        await importer.resume(OWNER, job.id, "Bearer user-token")
    with pytest.raises(NotFound):
        await importer.get(Caller(user_id="someone-else"), job.id)


async def test_a_resume_after_a_failure_between_call_and_record_makes_nothing_twice() -> None:
    store, services = Store(), Services()
    importer = _service(store, services, fail_after=14)
    job, _ = await importer.upload(OWNER, _raw(), "Bearer user-token")
    await importer.wait_idle()
    failed = await importer.get(OWNER, job.id)
    assert (failed.status, failed.done) == (Status.FAILED, 13)
    made = dict(services.made)
    resumed = await importer.resume(OWNER, job.id, "Bearer user-token")
    assert resumed.status is Status.RUNNING
    await importer.wait_idle()
    done = await importer.get(OWNER, job.id)
    assert (done.status, done.done, done.attempts) == (Status.DONE, 29, 2)
    assert len(services.made) == 25
    assert all(services.made[key] == value for key, value in made.items())


async def test_an_expired_session_fails_the_job_with_a_sentence_and_a_resume_continues() -> None:
    store, services = Store(), Services()
    services.session_over = True
    importer = _service(store, services)
    job, _ = await importer.upload(OWNER, _raw(), "Bearer user-token")
    await importer.wait_idle()
    failed = await importer.get(OWNER, job.id)
    assert failed.status is Status.FAILED
    assert failed.error == "Your session ended during the import; resume it to continue."
    services.session_over = False
    await importer.resume(OWNER, job.id, "Bearer user-token")
    await importer.wait_idle()
    assert (await importer.get(OWNER, job.id)).status is Status.DONE


async def test_member_lookups_are_charged_to_the_users_hourly_budget() -> None:
    store, services = Store(), Services()
    importer = _service(store, services, lookups=1)
    job, _ = await importer.upload(OWNER, _raw(), "Bearer user-token")
    await importer.wait_idle()
    done = await importer.get(OWNER, job.id)
    assert done.status is Status.DONE
    # Ada's address was the one looked up; Linus's was over the budget and was not asked.
    assert done.members == {"65a1f0c2b7e4d3a1c0f9e8a1": ADA}
    assert [path for _, path in services.calls if path.startswith("/api/users")] == [
        "/api/users?email=ada%40example.test"
    ]
    assert done.unmatched == ["Grace Hopper", "Linus Example"]
