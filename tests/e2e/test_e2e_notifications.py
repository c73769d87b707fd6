"""Notifications and password reset end to end through the gateway, on a stack of their own with
a real SMTP server (the test's aiosmtpd, whose transcript the tests read) and a fast due-soon
poll: an assignment notifies the assignee (not the actor) live on every socket of theirs, the
unread count and marking read, a due-soon reminder sent once across a restart of the service,
the immediate e-mail preference; a reset link read from the transcript sets a new password once
and ends every session, the same answer for an unknown address, expiry and the cap on links."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from hintro_devtools.mailsink import MailSink
from hintro_devtools.restarts import RestartPolicy
from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from services.realtime.tests.support import SocketClient
from tests.e2e.boards_helpers import (
    PASSWORD,
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

WITHIN = 20.0  # REST write -> outbox -> notification -> outbox -> realtime, on a busy machine
POLICY = RestartPolicy(max_crashes=3, window_seconds=60, first_delay=0.2, max_delay=1.0)


@pytest.fixture(scope="module")
def mail() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def nstack(tmp_path_factory: pytest.TempPathFactory, mail: MailSink) -> AsyncIterator[Stack]:
    env = {**mail.env(), "REMINDER_POLL_SECONDS": "0.5", "MAIL_POLL_SECONDS": "0.2"}
    keys = tmp_path_factory.mktemp("notify-keys")
    async with isolated_stack(keys, name="notify", env=env) as stack:
        supervising = asyncio.create_task(stack.supervise(POLICY))
        yield stack
        supervising.cancel()


@pytest_asyncio.fixture(loop_scope="session")
async def http(nstack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{nstack.gateway_url}/") as session:
        yield session


class NotifiedSocket(SocketClient):
    """A socket that also keeps the ``notification`` pushes."""

    def __init__(self) -> None:
        super().__init__()
        self.notifications: list[dict[str, Any]] = []
        self.sio.on("notification", self._on_notification)

    async def _on_notification(self, payload: dict[str, Any]) -> None:
        self.notifications.append(payload)


async def notifications(http: aiohttp.ClientSession, user: User, **query: Any) -> Any:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return await ok(http, user, "GET", f"api/notifications?{params}")


async def kinds_of(http: aiohttp.ClientSession, user: User, kind: str) -> list[dict[str, Any]]:
    return [n for n in (await notifications(http, user))["items"] if n["kind"] == kind]


async def test_assignment_is_pushed_live_to_every_socket_of_the_assignee(
    nstack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada, "Launch")
    await add_member(http, ada, board["id"], bob)
    todo = await create_list(http, ada, board["id"], "To do")
    task = await create_task(http, ada, board["id"], todo["id"], "Press kit")
    sockets = [NotifiedSocket(), NotifiedSocket(), NotifiedSocket()]
    # Two tabs of Bob's on the two realtime replicas (directly) and one through the gateway.
    urls = [nstack.url("realtime"), nstack.url("realtime-2"), nstack.gateway_url]
    try:
        for client, url in zip(sockets, urls, strict=True):
            await client.connect(url, bob.token)
        ada_socket = NotifiedSocket()
        await ada_socket.connect(nstack.gateway_url, ada.token)
        sockets.append(ada_socket)
        before = (await notifications(http, bob))["unreadCount"]
        await ok(http, ada, "PUT", f"api/tasks/{task['id']}/assignees/{bob.id}", 200)

        async def everywhere() -> bool:
            return all(client.notifications for client in sockets[:3])

        await wait_for(everywhere, within=WITHIN, what="the push on Bob's three sockets")
        pushed = [client.notifications for client in sockets[:3]]
        assert pushed[0] == pushed[1] == pushed[2]
        (push,) = pushed[0]
        assert push["kind"] == "task.assigned"
        assert (push["userId"], push["actorId"], push["taskId"]) == (bob.id, ada.id, task["id"])
        assert push["data"] == {
            "actorName": "Ada",
            "taskTitle": "Press kit",
            "boardTitle": "Launch",
        }
        assert ada_socket.notifications == []  # the actor hears nothing of it

        page = await notifications(http, bob)
        assert page["unreadCount"] == before + 1
        assert page["items"][0]["id"] == push["id"]
        assert (await notifications(http, ada))["items"] == []
        await ok(http, bob, "POST", f"api/notifications/{push['id']}/read", 204)
        page = await notifications(http, bob)
        assert page["unreadCount"] == before
        assert page["items"][0]["read"] is True
        reply = await ok(http, bob, "POST", "api/notifications/read-all")
        assert reply == {"marked": before}
        assert (await notifications(http, bob))["unreadCount"] == 0
    finally:
        for client in sockets:
            await client.close()


async def test_a_due_soon_reminder_is_sent_once_across_a_restart(
    nstack: Stack, http: aiohttp.ClientSession
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada, "Ops")
    await add_member(http, ada, board["id"], bob)
    todo = await create_list(http, ada, board["id"], "To do")
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    first = await create_task(http, ada, board["id"], todo["id"], "Renew cert", dueDate=soon)
    await ok(http, ada, "PUT", f"api/tasks/{first['id']}/assignees/{bob.id}", 200)

    async def reminded(task_id: str) -> list[dict[str, Any]]:
        return [n for n in await kinds_of(http, bob, "task.due_soon") if n["taskId"] == task_id]

    await wait_for(lambda: reminded(first["id"]), within=WITHIN, what="the first reminder")

    victim = nstack.running["notification"].process
    os.kill(victim.pid, signal.SIGKILL)

    async def back() -> bool:
        running = nstack.running["notification"]
        if running.process.pid == victim.pid:
            return False
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{nstack.url('notification')}/readyz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await wait_for(back, within=60, interval=0.2, what="notification restarted and ready")
    # A reminder owed after the restart proves the restarted service polls again...
    second = await create_task(http, ada, board["id"], todo["id"], "Pay invoice", dueDate=soon)
    await ok(http, ada, "PUT", f"api/tasks/{second['id']}/assignees/{bob.id}", 200)
    await wait_for(lambda: reminded(second["id"]), within=WITHIN, what="the second reminder")
    # ...and the first one was not sent again.
    assert len(await reminded(first["id"])) == 1
    assert len(await reminded(second["id"])) == 1


async def test_immediate_email_preference_sends_a_real_email(
    nstack: Stack, http: aiohttp.ClientSession, mail: MailSink
) -> None:
    ada, bob = await register(http, "Ada"), await register(http, "Bob")
    board = await create_board(http, ada, "Website")
    await add_member(http, ada, board["id"], bob)
    todo = await create_list(http, ada, board["id"], "To do")
    task = await create_task(http, ada, board["id"], todo["id"], "New logo")
    assert await ok(http, bob, "GET", "api/notifications/settings") == {"email": "off"}
    updated = await ok(
        http, bob, "PUT", "api/notifications/settings", json_body={"email": "immediate"}
    )
    assert updated == {"email": "immediate"}
    await ok(http, ada, "PUT", f"api/tasks/{task['id']}/assignees/{bob.id}", 200)

    async def mailed() -> bool:
        return bool(mail.to(bob.email))

    await wait_for(mailed, within=WITHIN, what="the e-mail in the SMTP transcript")
    (message,) = mail.to(bob.email)
    assert message.subject == "Ada assigned you to “New logo” on “Website”."
    assert f"/boards/{board['id']}/cards/{task['id']}" in message.text
    assert not mail.to(ada.email)


# --- password reset -----------------------------------------------------------------------------

NEW_PASSWORD = "a-brand-new-passphrase-42"


def reset_token(mail: MailSink, address: str, index: int = -1) -> str:
    """The token of the reset link mailed to ``address`` (the latest by default)."""
    text = mail.to(address)[index].text
    match = re.search(r"/reset-password#token=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def mailed_count(mail: MailSink, address: str, count: int) -> None:
    async def arrived() -> bool:
        return len(mail.to(address)) >= count

    await wait_for(arrived, within=WITHIN, what=f"{count} e-mail(s) to {address}")


async def test_password_reset_full_flow_ends_every_session(
    nstack: Stack, http: aiohttp.ClientSession, mail: MailSink
) -> None:
    bob = await register(http, "Bob")
    session = await ok(
        http, None, "POST", "api/auth/login", json_body={"email": bob.email, "password": PASSWORD}
    )
    answer = await call(
        http, None, "POST", "api/auth/password-reset", json_body={"email": bob.email}
    )
    assert answer.status == 202, answer.text
    await mailed_count(mail, bob.email, 1)
    (message,) = mail.to(bob.email)
    assert message.subject == "Reset your Hintro password"
    token = reset_token(mail, bob.email)

    too_short = await call(
        http,
        None,
        "POST",
        "api/auth/password-reset/confirm",
        json_body={"token": token, "password": "short"},
    )
    too_short.assert_problem(422)
    done = await call(
        http,
        None,
        "POST",
        "api/auth/password-reset/confirm",
        json_body={"token": token, "password": NEW_PASSWORD},
    )
    assert done.status == 204, done.text
    # Single use.
    again = await call(
        http,
        None,
        "POST",
        "api/auth/password-reset/confirm",
        json_body={"token": token, "password": NEW_PASSWORD + "x"},
    )
    assert again.assert_problem(422)["errors"][0]["loc"] == ["body", "token"]
    # Every session ended: the refresh token of the session before the reset is refused.
    refreshed = await call(
        http, None, "POST", "api/auth/refresh", json_body={"refreshToken": session["refreshToken"]}
    )
    refreshed.assert_problem(401)
    old = await call(
        http, None, "POST", "api/auth/login", json_body={"email": bob.email, "password": PASSWORD}
    )
    old.assert_problem(401)
    await ok(
        http,
        None,
        "POST",
        "api/auth/login",
        json_body={"email": bob.email, "password": NEW_PASSWORD},
    )


async def test_password_reset_answers_the_same_for_an_unknown_address(
    nstack: Stack, http: aiohttp.ClientSession, mail: MailSink
) -> None:
    cy = await register(http, "Cy")
    nobody = f"nobody-{uuid.uuid4().hex[:10]}@hintro.dev"
    unknown = await call(http, None, "POST", "api/auth/password-reset", json_body={"email": nobody})
    known = await call(http, None, "POST", "api/auth/password-reset", json_body={"email": cy.email})
    assert (unknown.status, unknown.body) == (known.status, known.body)
    assert unknown.status == 202
    await mailed_count(mail, cy.email, 1)
    assert mail.to(nobody) == []
    bad = await call(http, None, "POST", "api/auth/password-reset", json_body={"email": "x"})
    bad.assert_problem(422)


async def test_an_expired_reset_link_is_refused_and_links_are_capped(
    nstack: Stack, http: aiohttp.ClientSession, mail: MailSink
) -> None:
    dee = await register(http, "Dee")
    for _ in range(4):
        reply = await call(
            http, None, "POST", "api/auth/password-reset", json_body={"email": dee.email}
        )
        assert reply.status == 202
    await mailed_count(mail, dee.email, 3)
    # Let a later request's mail arrive: the fourth was refused, not slow.
    eve = await register(http, "Eve")
    await call(http, None, "POST", "api/auth/password-reset", json_body={"email": eve.email})
    await mailed_count(mail, eve.email, 1)
    assert len(mail.to(dee.email)) == 3

    # Thirty minutes later (the clock moved in the database): the link no longer works.
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(nstack.infra_env["MONGO_URL"])
    try:
        db = mongo[nstack.mongo_db("auth") or "hintro_auth"]
        await db["password_resets"].update_many({"userId": eve.id}, {"$set": {"expiresMs": 0}})
    finally:
        await mongo.close()
    expired = await call(
        http,
        None,
        "POST",
        "api/auth/password-reset/confirm",
        json_body={"token": reset_token(mail, eve.email), "password": NEW_PASSWORD},
    )
    expired.assert_problem(422)
    await ok(
        http, None, "POST", "api/auth/login", json_body={"email": eve.email, "password": PASSWORD}
    )
