"""Webhooks in the browser: the board's owner adds an endpoint in the board's Webhooks menu
(a receiver of the test's own on 127.0.0.1, which the test profile allowlists), sees its
secret once, and after a card is created sees the delivery in the endpoint's log, in words;
the receiver verified the signature with that secret (``standardwebhooks``). An editor has
no Webhooks menu."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp import web
from playwright.async_api import expect
from standardwebhooks import Webhook

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.test_browser_live import person, shared_board
from tests.e2e.boards_helpers import create_list, create_task


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.received.append((await request.read(), headers))
        return web.Response(text="ok")


@pytest_asyncio.fixture(loop_scope="session")
async def inbox() -> AsyncIterator[tuple[Inbox, str]]:
    state = Inbox()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    yield state, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_an_owner_adds_a_webhook_and_sees_the_delivery(
    web_stack: Stack,
    http: aiohttp.ClientSession,
    new_context: NewContext,
    inbox: tuple[Inbox, str],
) -> None:
    receiver, url = inbox
    ada, bob, board = await shared_board(http)
    page = await person(new_context, ada, board["id"])

    await page.get_by_role("button", name="Webhooks", exact=True).click()
    panel = page.get_by_test_id("webhooks-panel")
    await expect(panel.get_by_text("This board has no webhooks yet.")).to_be_visible()
    # A URL that is not one is refused in words, before anything is sent.
    await panel.get_by_label("Endpoint URL").fill("not a url")
    await panel.get_by_label("task.created", exact=True).check()
    await panel.get_by_role("button", name="Add webhook").click()
    await expect(panel.get_by_role("alert")).to_contain_text("not a web address")

    await panel.get_by_label("Endpoint URL").fill(url)
    await panel.get_by_role("button", name="Add webhook").click()
    dialog = page.get_by_test_id("webhook-secret")
    secret_box = dialog.get_by_test_id("webhook-secret-value")
    await expect(secret_box).to_be_visible()
    secret = await secret_box.input_value()
    assert secret.startswith("whsec_")
    await dialog.get_by_role("button", name="Done").click()
    row = panel.get_by_test_id("webhook")
    await expect(row).to_contain_text(url)
    await expect(row).to_contain_text("task.created")

    todo = await create_list(http, ada, board["id"], "Later")
    await create_task(http, ada, board["id"], todo["id"], "Hooked")
    await row.get_by_role("button", name="Deliveries").click()
    log = row.get_by_test_id("webhook-deliveries")
    # The open log follows the deliveries by itself.
    delivered = log.get_by_test_id("webhook-delivery").filter(has_text="Delivered.")
    await expect(delivered).to_have_count(1, timeout=30_000)
    await expect(log).to_contain_text("task.created")
    body, headers = receiver.received[-1]
    Webhook(secret).verify(body, headers)

    # An editor has no Webhooks menu.
    other = await person(new_context, bob, board["id"])
    await expect(other.get_by_role("button", name="Members (2)")).to_be_visible()
    await expect(other.get_by_role("button", name="Webhooks", exact=True)).to_have_count(0)
