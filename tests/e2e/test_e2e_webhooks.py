"""Webhooks end to end through the gateway, on a stack of their own with fast retries and a
short disable window, delivering to a real receiving HTTP server of the test's own (on a free
port of 127.0.0.1, which the test profile allowlists) that verifies every signature with the
independent ``standardwebhooks`` package: delivery, retries after 500s, order per endpoint,
redelivery by hand, both secrets verifying during a rotation's overlap, an endpoint disabled
after failing and its owner notified, refusal of loopback and private URLs that are not
allowlisted, and the owner-only role checks (404 for strangers, 403 for other members)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

from hintro_devtools.restarts import RestartPolicy
from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.e2e.boards_helpers import (
    User,
    add_member,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)
from tests.e2e.stacks import isolated_stack

pytestmark = pytest.mark.timeout(300)

WITHIN = 30.0  # REST write -> outbox -> webhook consumer -> dispatcher -> receiver, busy machine
POLICY = RestartPolicy(max_crashes=3, window_seconds=60, first_delay=0.2, max_delay=1.0)
DISABLE_AFTER = 4  # seconds an endpoint may fail before it is disabled (this stack's setting)


@dataclass
class Received:
    """One request the receiver got, and whether a secret verified it."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def verifies(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True


@dataclass
class Receiver:
    """A webhook receiver: each path answers the statuses queued for it (then 200)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    plans: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        plan = self.plans.get(path) or []
        status = plan.pop(0) if plan else self.always.get(path, 200)
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Received(path, headers, await request.read(), status))
        return web.Response(status=status, text="ok" if status < 300 else "nope")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/{path}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    state.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    yield state
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def wstack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    keys = tmp_path_factory.mktemp("webhook-keys")
    webhook_env = {
        "DELIVERY_POLL_SECONDS": "0.2",
        "RETRY_BASE_SECONDS": "0.3",
        "RETRY_CAP_SECONDS": "1",
        "WEBHOOK_DISABLE_AFTER_SECONDS": str(DISABLE_AFTER),
        # A claim held by a killed process lapses within 2 x 3 + 5 s.
        "WEBHOOK_TIMEOUT_SECONDS": "3",
    }
    # Only what webhooks touch: fewer processes to start on a loaded machine.
    only = ("gateway", "auth", "board", "task", "notification", "webhook")
    async with isolated_stack(
        keys,
        name="webhook",
        only=only,
        service_env={"webhook": webhook_env},
    ) as stack:
        supervising = asyncio.create_task(stack.supervise(POLICY))
        yield stack
        supervising.cancel()


@pytest_asyncio.fixture(loop_scope="session")
async def http(wstack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{wstack.gateway_url}/") as session:
        yield session


async def board_with_list(http: aiohttp.ClientSession, owner: User) -> tuple[str, str]:
    board = await create_board(http, owner, "Hooks")
    todo = await create_list(http, owner, board["id"], "To do")
    return board["id"], todo["id"]


async def register_hook(
    http: aiohttp.ClientSession, owner: User, board_id: str, url: str, *types: str
) -> dict[str, Any]:
    created: dict[str, Any] = await ok(
        http,
        owner,
        "POST",
        f"api/boards/{board_id}/webhooks",
        201,
        json_body={"url": url, "eventTypes": list(types or ("task.created",))},
    )
    return created


async def deliveries(http: aiohttp.ClientSession, owner: User, hook_id: str) -> list[Any]:
    page = await ok(http, owner, "GET", f"api/webhooks/{hook_id}/deliveries")
    items: list[Any] = page["items"]
    return items


async def arrivals(receiver: Receiver, path: str, count: int) -> list[Received]:
    async def enough() -> list[Received] | None:
        got = receiver.at(path)
        return got if len(got) >= count else None

    return await wait_for(enough, within=WITHIN, what=f"{count} requests at /{path}")


async def test_a_delivery_is_signed_and_logged_and_the_secret_is_shown_once(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    hook = await register_hook(http, ada, board_id, receiver.url("basic"), "task.created")
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert hook["enabled"] is True
    assert hook["eventTypes"] == ["task.created"]
    task = await create_task(http, ada, board_id, list_id, "Ship it")

    (got,) = await arrivals(receiver, "basic", 1)
    assert got.verifies(secret)
    assert set(got.headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert got.json["type"] == "task.created"
    assert got.json["boardId"] == board_id
    assert got.json["data"]["taskId"] == task["id"]
    assert got.json["data"]["title"] == "Ship it"

    async def delivered() -> list[Any] | None:
        items = await deliveries(http, ada, hook["id"])
        return items if items and items[0]["status"] == "delivered" else None

    (logged,) = await wait_for(delivered, within=WITHIN, what="the delivery logged")
    assert logged["id"] == got.headers["webhook-id"]
    assert (logged["attempts"], logged["lastStatusCode"]) == (1, 200)
    assert logged["eventType"] == "task.created"
    # The secret is never shown again.
    listed = await ok(http, ada, "GET", f"api/boards/{board_id}/webhooks")
    assert "secret" not in json.dumps(listed)
    assert "task.created" in listed["eventTypes"]
    one = await ok(http, ada, "GET", f"api/webhooks/{hook['id']}")
    assert "secret" not in one
    # Events of types the endpoint did not choose are not delivered.
    await create_list(http, ada, board_id, "Done")
    await create_task(http, ada, board_id, list_id, "Second")
    await arrivals(receiver, "basic", 2)
    assert all(r.json["type"] == "task.created" for r in receiver.at("basic"))


async def test_retries_after_500_then_delivers_in_order(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    receiver.plans["order"] = [500, 500]
    hook = await register_hook(http, ada, board_id, receiver.url("order"))
    for title in ("one", "two", "three"):
        await create_task(http, ada, board_id, list_id, title)

    got = await arrivals(receiver, "order", 5)
    titles = [r.json["data"]["title"] for r in got]
    # The first is retried until it succeeds; the later ones wait for it.
    assert titles == ["one", "one", "one", "two", "three"]
    assert [r.answered for r in got] == [500, 500, 200, 200, 200]
    assert len({r.headers["webhook-id"] for r in got[:3]}) == 1  # the same message each time
    assert all(r.verifies(hook["secret"]) for r in got)

    async def all_delivered() -> list[Any] | None:
        items = await deliveries(http, ada, hook["id"])
        done = [i for i in items if i["status"] == "delivered"]
        return items if len(done) == 3 else None

    items = await wait_for(all_delivered, within=WITHIN, what="three deliveries logged")
    first = next(i for i in items if i["id"] == got[0].headers["webhook-id"])
    assert first["attempts"] == 3
    assert first["nextAttemptAt"] is None


async def test_redeliver_by_hand_sends_the_same_message_again(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    hook = await register_hook(http, ada, board_id, receiver.url("again"))
    await create_task(http, ada, board_id, list_id, "Once")
    (first,) = await arrivals(receiver, "again", 1)
    delivery_id = first.headers["webhook-id"]

    async def delivered() -> bool:
        items = await deliveries(http, ada, hook["id"])
        return bool(items) and items[0]["status"] == "delivered"

    await wait_for(delivered, within=WITHIN, what="delivered")
    answer = await ok(
        http,
        ada,
        "POST",
        f"api/webhooks/{hook['id']}/deliveries/{delivery_id}/redeliver",
        202,
    )
    assert answer["id"] == delivery_id
    _, second = await arrivals(receiver, "again", 2)
    assert second.headers["webhook-id"] == delivery_id
    assert second.body == first.body
    assert second.verifies(hook["secret"])
    unknown = await call(
        http, ada, "POST", f"api/webhooks/{hook['id']}/deliveries/{'0' * 32}/redeliver"
    )
    unknown.assert_problem(404)


async def test_during_a_rotation_both_secrets_verify(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    hook = await register_hook(http, ada, board_id, receiver.url("rotate"))
    old = hook["secret"]
    rotated = await ok(http, ada, "POST", f"api/webhooks/{hook['id']}/rotate-secret")
    new = rotated["secret"]
    assert new != old
    assert new.startswith("whsec_")
    assert rotated["previousSecretUntil"] is not None
    await create_task(http, ada, board_id, list_id, "Rotated")
    (got,) = await arrivals(receiver, "rotate", 1)
    assert got.headers["webhook-signature"].count("v1,") == 2
    assert got.verifies(new)
    assert got.verifies(old)
    assert not got.verifies("whsec_" + "A" * 43 + "=")


async def test_an_endpoint_failing_for_too_long_is_disabled_and_its_owner_told(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    receiver.always["down"] = 503
    hook = await register_hook(http, ada, board_id, receiver.url("down"))
    await create_task(http, ada, board_id, list_id, "Lost")

    async def disabled() -> dict[str, Any] | None:
        one: dict[str, Any] = await ok(http, ada, "GET", f"api/webhooks/{hook['id']}")
        return one if not one["enabled"] else None

    one = await wait_for(disabled, within=WITHIN + DISABLE_AFTER, what="the endpoint disabled")
    assert one["disabledReason"]
    assert len(receiver.at("down")) >= 2  # retried before giving up

    async def failed() -> list[Any] | None:
        items = await deliveries(http, ada, hook["id"])
        return items if items and items[0]["status"] == "failed" else None

    (logged,) = await wait_for(failed, within=WITHIN, what="the pending delivery failed")
    assert logged["lastStatusCode"] == 503

    async def told() -> list[Any] | None:
        page = await ok(http, ada, "GET", "api/notifications")
        found = [n for n in page["items"] if n["kind"] == "webhook.endpoint_disabled"]
        return found or None

    (note,) = await wait_for(told, within=WITHIN, what="the owner's notification")
    assert note["boardId"] == board_id
    assert note["data"]["url"] == receiver.url("down")
    assert note["data"]["endpointId"] == hook["id"]
    # A disabled endpoint gets nothing more and cannot be redelivered to until enabled.
    before = len(receiver.at("down"))
    await create_task(http, ada, board_id, list_id, "Ignored")
    refused = await call(
        http,
        ada,
        "POST",
        f"api/webhooks/{hook['id']}/deliveries/{logged['id']}/redeliver",
    )
    refused.assert_problem(409)
    receiver.always["down"] = 200
    enabled = await ok(
        http, ada, "PATCH", f"api/webhooks/{hook['id']}", json_body={"enabled": True}
    )
    assert enabled["enabled"] is True
    assert enabled["disabledReason"] is None
    await ok(
        http, ada, "POST", f"api/webhooks/{hook['id']}/deliveries/{logged['id']}/redeliver", 202
    )
    got = await arrivals(receiver, "down", before + 1)
    assert got[-1].json["data"]["title"] == "Lost"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:9/hook",  # loopback, not the allowlisted 127.0.0.1
        "http://localhost.:9/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[::1]:9/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "ftp://example.com/hook",
        "http://user:pw@127.0.0.1:9/hook",
    ],
)
async def test_internal_urls_are_refused(http: aiohttp.ClientSession, url: str) -> None:
    ada = await register(http, "Ada")
    board_id, _ = await board_with_list(http, ada)
    reply = await call(
        http,
        ada,
        "POST",
        f"api/boards/{board_id}/webhooks",
        json_body={"url": url, "eventTypes": ["task.created"]},
    )
    problem = reply.assert_problem(422)
    assert "url" in json.dumps(problem)
    listed = await ok(http, ada, "GET", f"api/boards/{board_id}/webhooks")
    assert listed["items"] == []


async def test_bad_input_is_a_problem_and_changes_nothing(
    http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, _ = await board_with_list(http, ada)
    path = f"api/boards/{board_id}/webhooks"
    for body in (
        {"url": receiver.url("x"), "eventTypes": ["task.exploded"]},
        {"url": receiver.url("x"), "eventTypes": []},
        {"url": receiver.url("x"), "eventTypes": ["user.registered"]},
        {"eventTypes": ["task.created"]},
        {"url": receiver.url("x"), "eventTypes": ["task.created"], "secret": "mine"},
    ):
        (await call(http, ada, "POST", path, json_body=body)).assert_problem(422)
    assert (await ok(http, ada, "GET", path))["items"] == []
    hook = await register_hook(http, ada, board_id, receiver.url("x"))
    bad = await call(http, ada, "PATCH", f"api/webhooks/{hook['id']}", json_body={"url": "x"})
    bad.assert_problem(422)
    cursor = await call(http, ada, "GET", f"api/webhooks/{hook['id']}/deliveries?cursor=zz")
    cursor.assert_problem(422)
    assert (await ok(http, ada, "GET", f"api/webhooks/{hook['id']}"))["url"] == receiver.url("x")


async def test_only_owners_manage_webhooks(http: aiohttp.ClientSession, receiver: Receiver) -> None:
    ada, bob, eve = [await register(http, n) for n in ("Ada", "Bob", "Eve")]
    board_id, _ = await board_with_list(http, ada)
    await add_member(http, ada, board_id, bob, "editor")
    hook = await register_hook(http, ada, board_id, receiver.url("roles"))
    one = f"api/webhooks/{hook['id']}"
    d = "0" * 32
    routes: list[tuple[str, str, Any]] = [
        ("GET", f"api/boards/{board_id}/webhooks", None),
        (
            "POST",
            f"api/boards/{board_id}/webhooks",
            {"url": receiver.url("r"), "eventTypes": ["task.created"]},
        ),
        ("GET", one, None),
        ("PATCH", one, {"enabled": False}),
        ("POST", f"{one}/rotate-secret", None),
        ("GET", f"{one}/deliveries", None),
        ("POST", f"{one}/deliveries/{d}/redeliver", None),
        ("DELETE", one, None),
    ]
    for method, path, body in routes:
        kwargs: dict[str, Any] = {} if body is None else {"json_body": body}
        (await call(http, bob, method, path, **kwargs)).assert_problem(403)
        (await call(http, eve, method, path, **kwargs)).assert_problem(404)
    still = await ok(http, ada, "GET", one)
    assert still["enabled"] is True
    await ok(http, ada, "DELETE", one, 204)
    (await call(http, ada, "GET", one)).assert_problem(404)


async def test_pending_deliveries_survive_a_restart_of_the_service(
    wstack: Stack, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    ada = await register(http, "Ada")
    board_id, list_id = await board_with_list(http, ada)
    receiver.always["restart"] = 500
    await register_hook(http, ada, board_id, receiver.url("restart"))
    await create_task(http, ada, board_id, list_id, "Durable")
    (first,) = await arrivals(receiver, "restart", 1)
    victim = wstack.running["webhook"].process
    os.kill(victim.pid, signal.SIGKILL)
    # From here on only the restarted process can deliver: the retry was stored, not held.
    receiver.always["restart"] = 200

    async def back() -> bool:
        return wstack.running["webhook"].process.pid != victim.pid

    await wait_for(back, within=60, interval=0.2, what="webhook restarted")

    async def succeeded() -> Received | None:
        return next((r for r in receiver.at("restart") if r.answered == 200), None)

    got = await wait_for(succeeded, within=60, what="the retry after the restart")
    assert got.headers["webhook-id"] == first.headers["webhook-id"]
