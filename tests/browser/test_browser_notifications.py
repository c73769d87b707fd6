"""The notification bell as a person sees it: the unread count rises live when someone else
assigns me, opening the list shows the sentences with links and marks them read."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from hintro_testkit.infra import wait_for
from tests.browser.conftest import NewContext
from tests.browser.helpers import restart_realtime, sign_in
from tests.e2e.boards_helpers import (
    add_member,
    call,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)


async def test_the_bell_counts_live_and_opening_the_list_marks_read(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Shared plan")
    todo = await create_list(http, ada, board["id"], "To do")
    first = await create_task(http, ada, board["id"], todo["id"], "First")
    second = await create_task(http, ada, board["id"], todo["id"], "Second")
    await add_member(http, ada, board["id"], bob)

    page = await (await new_context()).new_page()
    await sign_in(page, bob)
    bell = page.get_by_test_id("bell")
    await expect(bell).to_have_attribute("data-live", "true")
    # Being added to the board is already one notification.
    button = page.get_by_role("button", name="Notifications, 1 unread")
    await expect(button).to_be_visible()

    for task in (first, second):
        await ok(http, ada, "PUT", f"api/tasks/{task['id']}/assignees/{bob.id}", 200)
    await expect(page.get_by_role("button", name="Notifications, 3 unread")).to_be_visible()
    await expect(page.get_by_test_id("unread-count")).to_have_text("3")

    await page.get_by_role("button", name="Notifications, 3 unread").click()
    panel = page.get_by_role("region", name="Notifications")
    await expect(panel.get_by_role("link")).to_contain_text(
        [
            "Ada Lovelace assigned you to “Second” on “Shared plan”.",
            "Ada Lovelace assigned you to “First” on “Shared plan”.",
            "Ada Lovelace added you to “Shared plan”.",
        ]
    )
    await expect(page.get_by_role("button", name="Notifications", exact=True)).to_be_visible()
    page_after = await ok(http, bob, "GET", "api/notifications")
    assert page_after["unreadCount"] == 0

    # A link leads to the card.
    await panel.get_by_role(
        "link", name="Ada Lovelace assigned you to “First” on “Shared plan”."
    ).click()
    await expect(page).to_have_url(
        f"{web_stack.gateway_url}/boards/{board['id']}/cards/{first['id']}"
    )
    await expect(page.get_by_test_id("card-dialog")).to_be_visible()
    await expect(page.get_by_role("button", name="Watch")).to_be_visible()


async def test_being_added_to_a_board_can_be_undone_in_one_click(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    eve = await register(http, "Eve Added")
    board = await create_board(http, ada, "Not my board")
    await add_member(http, ada, board["id"], eve)
    assert (await call(http, eve, "GET", f"api/boards/{board['id']}")).status == 200

    page = await (await new_context()).new_page()
    await sign_in(page, eve)
    await page.get_by_role("button", name="Notifications, 1 unread").click()
    panel = page.get_by_role("region", name="Notifications")
    await expect(
        panel.get_by_role("link", name="Ada Lovelace added you to “Not my board”.")
    ).to_be_visible()
    await panel.get_by_role("button", name="Leave “Not my board”").click()
    await expect(panel.get_by_role("status")).to_have_text("You left this board.")
    assert (await call(http, eve, "GET", f"api/boards/{board['id']}")).status == 404
    members = await ok(http, ada, "GET", f"api/boards/{board['id']}")
    assert [m["userId"] for m in members["members"]] == [ada.id]


async def test_an_open_list_catches_up_on_what_came_while_the_socket_was_down(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Launch")
    todo = await create_list(http, ada, board["id"], "To do")
    task = await create_task(http, ada, board["id"], todo["id"], "Press release")
    await add_member(http, ada, board["id"], bob)

    page = await (await new_context()).new_page()
    await sign_in(page, bob)
    bell = page.get_by_test_id("bell")
    await expect(bell).to_have_attribute("data-live", "true")
    await page.get_by_role("button", name="Notifications, 1 unread").click()
    panel = page.get_by_role("region", name="Notifications")
    await expect(panel.get_by_role("link").filter(has_text="Ada Lovelace")).to_have_text(
        ["Ada Lovelace added you to “Launch”."]
    )

    async def while_down() -> None:
        await expect(bell).to_have_attribute("data-live", "false")
        await ok(http, ada, "PUT", f"api/tasks/{task['id']}/assignees/{bob.id}", 200)

        async def stored() -> bool:
            return (await ok(http, bob, "GET", "api/notifications"))["unreadCount"] == 1

        await wait_for(stored, within=20.0, what="the assignment's notification")

    # No push reaches Bob while no realtime replica runs; the reconnect reads what he missed.
    await restart_realtime(web_stack, while_down)
    await expect(bell).to_have_attribute("data-live", "true", timeout=20_000)
    await expect(panel.get_by_role("link").filter(has_text="Ada Lovelace")).to_have_text(
        [
            "Ada Lovelace assigned you to “Press release” on “Launch”.",
            "Ada Lovelace added you to “Launch”.",
        ]
    )
