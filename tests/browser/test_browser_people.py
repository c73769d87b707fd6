"""Members and activity in the browser: invite by e-mail, transfer ownership, leave; long lists and
the activity sentences load more as they are scrolled."""

from __future__ import annotations

import asyncio

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards, open_board, sign_in
from tests.e2e.boards_helpers import create_board, create_list, create_task, register


async def test_invite_by_email_then_transfer_ownership_then_leave(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Handover")
    page_a = await (await new_context()).new_page()
    await sign_in(page_a, ada)
    await open_board(page_a, board["id"])
    await page_a.get_by_role("button", name="Members").click()
    panel = page_a.get_by_test_id("members-panel")

    await panel.get_by_label("E-mail").fill("nobody-here@hintro.dev")
    await panel.get_by_role("button", name="Invite").click()
    await expect(page_a.get_by_role("alert")).to_contain_text("No one with that e-mail address")

    await panel.get_by_label("E-mail").fill(bob.email)
    await panel.get_by_role("button", name="Invite").click()
    await expect(panel.get_by_test_id("member")).to_have_count(2)
    await expect(panel.get_by_text("Bob Kahn", exact=True)).to_be_visible()

    await panel.get_by_role("button", name="Make owner: Bob Kahn").click()
    await (
        page_a.get_by_test_id("confirm-dialog")
        .get_by_role("button", name="Transfer ownership")
        .click()
    )
    await expect(panel.get_by_test_id("member").filter(has_text="Bob Kahn")).to_contain_text(
        "Owner"
    )
    # Ada is an editor now: no owner controls, and she may leave.
    await expect(panel.get_by_label("Role of Bob Kahn")).to_have_count(0)
    await panel.get_by_role("button", name="Leave board").click()
    await page_a.get_by_test_id("confirm-dialog").get_by_role("button", name="Leave board").click()
    await expect(page_a.get_by_test_id("closed-message")).to_contain_text("You left “Handover”")
    await expect(page_a.get_by_role("link", name="Handover")).to_have_count(0)


async def test_activity_reads_newest_first_and_loads_older_pages_on_scroll(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    board = await create_board(http, ada, "Busy board")
    inbox = await create_list(http, ada, board["id"], "Inbox")
    # 40 cards (plus the board and list): more than one page of activity.
    for start in range(0, 40, 10):
        await asyncio.gather(
            *(
                create_task(http, ada, board["id"], inbox["id"], f"Card {n:02d}")
                for n in range(start, start + 10)
            )
        )
    page = await (await new_context()).new_page()
    await sign_in(page, ada)
    await open_board(page, board["id"])
    # A list renders the cards that fill the window, not all 40; scrolling to its end brings
    # the rest.
    await expect(cards(page, "Inbox").first).to_be_visible()
    shown = await cards(page, "Inbox").count()
    assert 10 <= shown < 40
    await cards(page, "Inbox").first.hover()
    await page.mouse.wheel(0, 5000)
    await expect(cards(page, "Inbox")).to_have_count(40)
    await page.get_by_role("button", name="Activity").click()
    entries = page.get_by_test_id("activity-entry")
    await expect(entries.first).to_contain_text("Ada Lovelace created")
    await expect(entries).to_have_count(30)
    await entries.first.hover()
    await page.mouse.wheel(0, 5000)
    await expect(entries).to_have_count(42)
    await expect(entries.last).to_contain_text("created the board")
