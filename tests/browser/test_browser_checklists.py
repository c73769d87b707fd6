"""A card's checklist in real browsers: ticking an item updates the card's progress on the own
screen and, live, on a second person's; items reorder by mouse and by keyboard and keep their
order over a reload, and move into another checklist the same ways; a viewer sees the checklist
read-only."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Locator, Page, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import after_paint, drag, open_board, sign_in
from tests.e2e.boards_helpers import (
    User,
    add_member,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)


async def checklist_board(
    http: aiohttp.ClientSession, role: str
) -> tuple[User, User, Any, dict[str, Any]]:
    """Ada owns a board whose card "Groceries" has a checklist "Shop" (Milk, Eggs, Bread); Bob
    is a member with ``role``."""
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Home")
    todo = await create_list(http, ada, board["id"], "To do")
    task = await create_task(http, ada, board["id"], todo["id"], "Groceries")
    base = f"api/tasks/{task['id']}/checklists"
    answer = await ok(http, ada, "POST", base, 201, json_body={"title": "Shop"})
    checklist_id = answer["checklists"][0]["id"]
    for text in ("Milk", "Eggs", "Bread"):
        await ok(http, ada, "POST", f"{base}/{checklist_id}/items", 201, json_body={"text": text})
    await add_member(http, ada, board["id"], bob, role)
    return ada, bob, board, task


async def person(new_context: NewContext, user: User, board_id: str) -> Page:
    page = await (await new_context()).new_page()
    await sign_in(page, user)
    await open_board(page, board_id)
    return page


def badge(page: Page, task_id: str) -> Locator:
    return page.locator(f'[data-card-id="{task_id}"]').get_by_test_id("checklist-badge")


def item_texts(page: Page) -> Locator:
    return page.get_by_test_id("checklist-item").locator(".item-text")


async def open_card(page: Page, title: str) -> None:
    await page.get_by_test_id("card").filter(has_text=title).click()
    await expect(page.get_by_test_id("checklist")).to_be_visible()


async def test_ticking_an_item_updates_the_card_here_and_live_on_another_screen(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board, task = await checklist_board(http, "editor")
    page_a = await person(new_context, ada, board["id"])
    page_b = await person(new_context, bob, board["id"])
    await expect(badge(page_a, task["id"])).to_have_text("☑ 0/3")
    await expect(badge(page_b, task["id"])).to_have_text("☑ 0/3")

    await open_card(page_a, "Groceries")
    dialog = page_a.get_by_test_id("card-dialog")
    await expect(item_texts(page_a)).to_have_text(["Milk", "Eggs", "Bread"])
    async with page_a.expect_response(lambda r: "/items/" in r.url) as ticked:
        await dialog.get_by_label("Milk", exact=True).check()
    assert (await ticked.value).status == 200
    await expect(dialog.get_by_label("Milk", exact=True)).to_be_checked()
    await expect(dialog.get_by_role("progressbar", name="Shop: 1 of 3 done")).to_have_attribute(
        "aria-valuenow", "33"
    )
    await expect(badge(page_a, task["id"])).to_have_text("☑ 1/3")
    await expect(badge(page_b, task["id"])).to_have_text("☑ 1/3")
    await expect(badge(page_b, task["id"])).not_to_have_class("checklist-badge complete")

    for text in ("Eggs", "Bread"):
        await dialog.get_by_label(text, exact=True).check()
    await expect(badge(page_b, task["id"])).to_have_text("☑ 3/3")
    await expect(badge(page_b, task["id"])).to_have_class("checklist-badge complete")

    # Bob has the card open too: an untick by Ada shows in his dialog without a reload.
    await open_card(page_b, "Groceries")
    await expect(page_b.get_by_label("Bread", exact=True)).to_be_checked()
    await dialog.get_by_label("Bread", exact=True).uncheck()
    await expect(page_b.get_by_label("Bread", exact=True)).not_to_be_checked()
    await expect(badge(page_b, task["id"])).to_have_text("☑ 2/3")


async def test_items_reorder_by_mouse_and_keyboard_and_keep_their_order_after_reload(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, _, board, _ = await checklist_board(http, "editor")
    page = await person(new_context, ada, board["id"])
    await open_card(page, "Groceries")
    await expect(item_texts(page)).to_have_text(["Milk", "Eggs", "Bread"])

    # The mouse: drag "Bread" by its handle onto "Milk", the first item.
    handle = page.get_by_role("button", name="Move item Bread")
    target = page.get_by_test_id("checklist-item").filter(has_text="Milk")
    # The checklist is at the foot of the dialog, which scrolls: drag() brings it into view.
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await drag(page, handle, target)
    assert (await moved.value).status == 200
    await expect(item_texts(page)).to_have_text(["Bread", "Milk", "Eggs"])

    # The keyboard: pick "Eggs" up with space, one step up, drop with space.
    spoken = page.get_by_test_id("checklists").locator("[id^=DndLiveRegion]")
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await page.get_by_role("button", name="Move item Eggs").focus()
        await page.keyboard.press("Space")
        await expect(spoken).to_contain_text("Picked up item “Eggs”")
        await after_paint(page)
        await page.keyboard.press("ArrowUp")
        await expect(spoken).to_contain_text("position 2 of 3")
        await page.keyboard.press("Space")
    assert (await moved.value).status == 200
    await expect(item_texts(page)).to_have_text(["Bread", "Eggs", "Milk"])
    # The dialog stayed open through the keyboard drag.
    await expect(page.get_by_test_id("card-dialog")).to_be_visible()

    await page.reload()
    await expect(page.get_by_test_id("checklist")).to_be_visible()
    await expect(item_texts(page)).to_have_text(["Bread", "Eggs", "Milk"])


async def test_an_item_moves_into_another_checklist_by_keyboard_and_mouse(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, _, board, task = await checklist_board(http, "editor")
    await ok(
        http, ada, "POST", f"api/tasks/{task['id']}/checklists", 201, json_body={"title": "Later"}
    )
    page = await person(new_context, ada, board["id"])
    await page.get_by_test_id("card").filter(has_text="Groceries").click()
    shop = page.get_by_test_id("checklist").filter(has_text="Shop")
    later = page.get_by_test_id("checklist").filter(has_text="Later")
    await expect(later).to_be_visible()

    def texts(checklist: Locator) -> Locator:
        return checklist.get_by_test_id("checklist-item").locator(".item-text")

    # The keyboard: "Bread", the last of "Shop", one step down lands in the empty "Later".
    spoken = page.get_by_test_id("checklists").locator("[id^=DndLiveRegion]")
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await page.get_by_role("button", name="Move item Bread").focus()
        await page.keyboard.press("Space")
        await expect(spoken).to_contain_text("Picked up item “Bread”")
        await after_paint(page)
        await page.keyboard.press("ArrowDown")
        await expect(spoken).to_contain_text("position 1 of 1 in Later")
        await page.keyboard.press("Space")
    assert (await moved.value).status == 200
    await expect(texts(later)).to_have_text(["Bread"])
    await expect(texts(shop)).to_have_text(["Milk", "Eggs"])

    # The mouse: "Milk" dropped onto "Bread" takes its place in "Later".
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await drag(
            page,
            page.get_by_role("button", name="Move item Milk"),
            later.get_by_test_id("checklist-item").filter(has_text="Bread"),
        )
    assert (await moved.value).status == 200
    await expect(texts(later)).to_have_text(["Milk", "Bread"])
    await expect(texts(shop)).to_have_text(["Eggs"])
    await expect(page.get_by_test_id("card-dialog")).to_be_visible()

    await page.reload()
    await expect(texts(later)).to_have_text(["Milk", "Bread"])
    await expect(texts(shop)).to_have_text(["Eggs"])


async def test_a_viewer_sees_the_checklist_read_only(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    _, bob, board, _ = await checklist_board(http, "viewer")
    page = await person(new_context, bob, board["id"])
    await open_card(page, "Groceries")
    await expect(item_texts(page)).to_have_text(["Milk", "Eggs", "Bread"])
    await expect(page.get_by_label("Milk", exact=True)).to_be_disabled()
    await expect(page.get_by_role("button", name="Move item Milk")).to_have_count(0)
    await expect(page.get_by_role("button", name="Add checklist")).to_have_count(0)
