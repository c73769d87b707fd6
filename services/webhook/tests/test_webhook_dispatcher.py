"""The dispatcher and enqueueing on the real MongoDB wire server, with a scripted endpoint and
a clock the test moves: order per endpoint while retrying, endpoints independent of each
other, giving up after the retry window, disabling after a failure streak (its notice in the
outbox of the same update), idempotent enqueueing, and the secrets that sign during a
rotation's overlap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from pymongo.asynchronous.database import AsyncDatabase

from hintro_shared.authz import Action
from hintro_shared.caller import Caller
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_testkit.infra import scratch_database
from hintro_webhook.dispatcher import ENDPOINT_DISABLED, Dispatcher
from hintro_webhook.domain import RetryPolicy
from hintro_webhook.metrics import ATTEMPTS, ENDPOINTS_DISABLED
from hintro_webhook.repository import Deliveries, Endpoints
from hintro_webhook.sender import Outcome
from hintro_webhook.service import WebhookService

pytestmark = pytest.mark.integration

OWNER = Caller(user_id="ada")
T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


class Owners:
    async def require(
        self, board_id: str, caller: Caller, action: Action, *, what: str = "board"
    ) -> object:
        return "owner"


class Urls:
    async def check(self, url: str) -> None:
        return None


class Endpoint:
    """A scripted receiver: answers the statuses queued per URL, then 200; logs each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], Mapping[str, str]]] = []
        self.plans: dict[str, list[int]] = {}
        self.refused_titles: set[str] = set()  # always answered 500

    async def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        parsed = json.loads(body)
        plan = self.plans.get(url) or []
        status = plan.pop(0) if plan else 200
        if parsed["data"]["title"] in self.refused_titles:
            status = 500
        self.calls.append((url, parsed, headers))
        return Outcome(status, None if status < 300 else f"HTTP {status}")

    def titles(self, url: str) -> list[str]:
        return [body["data"]["title"] for u, body, _ in self.calls if u == url]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@pytest_asyncio.fixture(loop_scope="session")
async def db() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    async with scratch_database("webhook_dispatch") as database:
        yield database


def setup(
    db: AsyncDatabase[dict[str, Any]], **policy: int
) -> tuple[WebhookService, Dispatcher, Endpoint, Clock, Endpoints, Deliveries]:
    endpoints, deliveries = Endpoints(db), Deliveries(db)
    receiver, clock = Endpoint(), Clock()
    service = WebhookService(endpoints, deliveries, Owners(), Urls(), secret_overlap_ms=60_000)
    dispatcher = Dispatcher(
        endpoints,
        deliveries,
        receiver,
        policy=RetryPolicy(
            base_ms=policy.get("base_ms", 1000),
            cap_ms=policy.get("cap_ms", 1000),
            give_up_after_ms=policy.get("give_up_after_ms", 3_600_000),
        ),
        disable_after_ms=policy.get("disable_after_ms", 3_600_000),
        lease_ms=30_000,
        clock=clock,
    )
    return service, dispatcher, receiver, clock, endpoints, deliveries


def task_created(board_id: str, title: str, at: datetime) -> EventEnvelope:
    return new_event(
        "task.created",
        source="hintro/task",
        board_id=board_id,
        actor_id="ada",
        time=at,
        data={
            "taskId": title,
            "boardId": board_id,
            "listId": "l1",
            "title": title,
            "description": "",
            "position": "a0",
            "assigneeIds": [],
            "labelIds": [],
            "createdBy": "ada",
            "createdAt": at,
            "version": 1,
        },
    )


async def run(dispatcher: Dispatcher, clock: Clock, steps: int, every_ms: int = 1000) -> None:
    for _ in range(steps):
        await dispatcher.step()
        clock.now += every_ms


async def test_later_deliveries_wait_for_an_earlier_one_being_retried(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    service, dispatcher, receiver, clock, _, _ = setup(db)
    hook, _ = await service.create(OWNER, "b1", "https://a.example/in", "", ["task.created"], 0)
    other, _ = await service.create(OWNER, "b1", "https://b.example/in", "", ["task.created"], 0)
    receiver.plans["https://a.example/in"] = [500, 503]
    retries_before = ATTEMPTS.labels(outcome="retry")._value.get()
    # Handled out of order (concurrent consumers): the order is the events' own.
    for title, seconds in (("two", 2), ("one", 1), ("three", 3)):
        assert await service.enqueue(task_created("b1", title, T0 + timedelta(seconds=seconds)), 0)
    await run(dispatcher, clock, 12)
    assert receiver.titles("https://a.example/in") == ["one", "one", "one", "two", "three"]
    # Another endpoint of the board is not held up by the first one's failures.
    assert receiver.titles("https://b.example/in") == ["one", "two", "three"]
    assert ATTEMPTS.labels(outcome="retry")._value.get() == retries_before + 2
    page = await service.deliveries(OWNER, hook.id, 10, None)
    assert {d.status.value for d in page.items} == {"delivered"}
    first = next(d for d in page.items if d.attempts == 3)
    assert first.last_status_code == 200
    ids = {h["webhook-id"] for u, b, h in receiver.calls if b["data"]["title"] == "one"}
    assert len(ids) == 2  # one id per endpoint, the same on each retry
    assert (await service.get(OWNER, other.id)).failing_since_ms == 0


async def test_a_redelivered_event_is_queued_once(db: AsyncDatabase[dict[str, Any]]) -> None:
    service, *_ = setup(db)
    await service.create(OWNER, "b2", "https://c.example/in", "", ["task.created"], 0)
    await service.create(OWNER, "b2", "https://d.example/in", "", ["task.moved"], 0)
    event = task_created("b2", "once", T0)
    assert await service.enqueue(event, 0) == 1  # only the endpoint that chose the type
    assert await service.enqueue(event, 0) == 0


async def test_after_the_retry_window_a_delivery_fails_and_the_next_goes(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    service, dispatcher, receiver, clock, _, _ = setup(db, give_up_after_ms=2500)
    hook, _ = await service.create(OWNER, "b3", "https://e.example/in", "", ["task.created"], 0)
    receiver.refused_titles.add("lost")
    await service.enqueue(task_created("b3", "lost", T0), clock.now)
    await service.enqueue(task_created("b3", "next", T0 + timedelta(seconds=1)), clock.now)
    await run(dispatcher, clock, 8)
    titles = receiver.titles("https://e.example/in")
    assert titles[-1] == "next"
    assert set(titles[:-1]) == {"lost"}
    items = (await service.deliveries(OWNER, hook.id, 10, None)).items
    by_status = {d.status.value: d for d in items}
    assert by_status["failed"].last_error == "HTTP 500"
    assert by_status["delivered"].attempts == 1


async def test_an_endpoint_failing_too_long_is_disabled_with_its_notice_in_the_outbox(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    service, dispatcher, receiver, clock, endpoints, _ = setup(db, disable_after_ms=4000)
    hook, _ = await service.create(OWNER, "b4", "https://f.example/in", "", ["task.created"], 0)
    receiver.plans["https://f.example/in"] = [503] * 50
    disabled_before = ENDPOINTS_DISABLED._value.get()
    await service.enqueue(task_created("b4", "down", T0), clock.now)
    await run(dispatcher, clock, 10)
    assert ENDPOINTS_DISABLED._value.get() == disabled_before + 1
    endpoint = await service.get(OWNER, hook.id)
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "failing for too long"
    attempts = len(receiver.titles("https://f.example/in"))
    (delivery,) = (await service.deliveries(OWNER, hook.id, 10, None)).items
    assert delivery.status.value == "failed"
    doc = await endpoints.collection.find_one({"_id": hook.id})
    assert doc is not None
    (notice,) = doc["outbox"].values()
    assert notice["type"] == ENDPOINT_DISABLED
    assert notice["data"]["userId"] == "ada"
    assert notice["data"]["url"] == "https://f.example/in"
    # Nothing more is sent to it.
    await service.enqueue(task_created("b4", "ignored", T0 + timedelta(seconds=5)), clock.now)
    await run(dispatcher, clock, 3)
    assert len(receiver.titles("https://f.example/in")) == attempts


async def test_both_secrets_sign_during_the_overlap_only(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    service, _, _, _, endpoints, _ = setup(db)
    hook, first = await service.create(OWNER, "b5", "https://g.example/in", "", ["task.created"], 0)
    rotated, second = await service.rotate_secret(OWNER, hook.id, 1000)
    assert second != first
    assert rotated.previous_secret_until_ms == 61_000
    assert await endpoints.secrets(hook.id, 60_999) == [second, first]
    assert await endpoints.secrets(hook.id, 61_000) == [second]
