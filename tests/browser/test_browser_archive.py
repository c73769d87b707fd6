"""Archive and restore in the browser: Ada archives a list (its cards go with it on Bob's screen
too), restores it from the Archived items panel (its cards come back on both screens), and a
card whose list is archived asks where it should go."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards, column, open_board, sign_in
from tests.e2e.boards_helpers import (
    User,
    add_member,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)


async def shared_board(http: aiohttp.ClientSession) -> tuple[User, User, Any]:
    """Ada owns a board with To do (three cards) and Done (one); Bob is an editor."""
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Archive plan")
    todo = await create_list(http, ada, board["id"], "To do")
    done = await create_list(http, ada, board["id"], "Done")
    for title in ("First", "Second", "Third"):
        await create_task(http, ada, board["id"], todo["id"], title)
    await create_task(http, ada, board["id"], done["id"], "Shipped")
    await add_member(http, ada, board["id"], bob, "editor")
    return ada, bob, board


async def person(new_context: NewContext, user: User, board_id: str) -> Page:
    page = await (await new_context()).new_page()
    await sign_in(page, user)
    await open_board(page, board_id)
    return page


async def test_archive_and_restore_a_list_with_its_cards_seen_live_by_another(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_a = await person(new_context, ada, board["id"])
    page_b = await person(new_context, bob, board["id"])
    await expect(cards(page_b, "To do")).to_have_count(3)

    # A card archived on its own first stays archived when its list comes back.
    await cards(page_a, "Done").get_by_text("Shipped").click()
    await page_a.get_by_role("button", name="Archive card").click()
    await expect(cards(page_b, "Done")).to_have_count(0)

    await page_a.get_by_role("button", name="Archive list To do").click()
    await expect(column(page_a, "To do")).to_have_count(0)
    await expect(column(page_b, "To do")).to_have_count(0)
    await expect(page_b.get_by_test_id("card")).to_have_count(0)

    await page_a.get_by_role("button", name="Archived items").click()
    panel = page_a.get_by_test_id("archive-panel")
    await expect(panel.get_by_test_id("archived-list")).to_have_count(1)
    await expect(panel.get_by_test_id("archived-list")).to_contain_text("To do")
    await expect(panel.get_by_test_id("archived-list")).to_contain_text("3 cards")
    await expect(panel.get_by_test_id("archived-card")).to_contain_text(["Shipped"])

    await panel.get_by_role("button", name="Restore list To do").click()
    for page in (page_a, page_b):
        await expect(column(page, "To do")).to_have_count(1)
        await expect(cards(page, "To do")).to_have_text(["First", "Second", "Third"])
        await expect(cards(page, "Done")).to_have_count(0)
    await expect(panel.get_by_test_id("archived-list")).to_have_count(0)
    await expect(panel.get_by_text("No archived lists.")).to_be_visible()
    await expect(panel.get_by_test_id("archived-card")).to_contain_text(["Shipped"])
    # The log says what happened, in words.
    log = await ok(http, ada, "GET", f"api/boards/{board['id']}/activity?limit=20")
    summaries = [entry["summary"] for entry in log["items"]]
    assert "Ada Lovelace restored the list “To do”" in summaries
    assert "Ada Lovelace archived the list “To do”" in summaries


async def test_a_card_whose_list_is_archived_asks_where_to_go_and_delete_needs_a_confirmation(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, _, board = await shared_board(http)
    page = await person(new_context, ada, board["id"])
    await cards(page, "To do").get_by_text("Second").click()
    await page.get_by_role("button", name="Archive card").click()
    await expect(cards(page, "To do")).to_have_text(["First", "Third"])
    await page.get_by_role("button", name="Archive list To do").click()
    await expect(column(page, "To do")).to_have_count(0)

    await page.get_by_role("button", name="Archived items").click()
    panel = page.get_by_test_id("archive-panel")
    await panel.get_by_role("button", name="Restore card Second").click()
    dialog = page.get_by_test_id("choose-list-dialog")
    await expect(dialog).to_contain_text("The list this card was in is archived.")
    await dialog.get_by_label("List").select_option(label="Done")
    await dialog.get_by_role("button", name="Restore here").click()
    await expect(cards(page, "Done")).to_have_text(["Shipped", "Second"])
    await expect(panel.get_by_test_id("archived-card")).to_have_count(0)

    # Deleting for good asks first; cancelling keeps the list.
    await panel.get_by_role("button", name="Delete list To do permanently").click()
    confirm = page.get_by_test_id("confirm-dialog")
    await expect(confirm).to_contain_text("cannot be undone")
    await confirm.get_by_role("button", name="Cancel").click()
    await expect(panel.get_by_test_id("archived-list")).to_have_count(1)
    await panel.get_by_role("button", name="Delete list To do permanently").click()
    await (
        page.get_by_test_id("confirm-dialog")
        .get_by_role("button", name="Delete permanently")
        .click()
    )
    await expect(panel.get_by_test_id("archived-list")).to_have_count(0)
    lists = await ok(http, ada, "GET", f"api/boards/{board['id']}/lists?archived=true")
    assert lists == []


async def test_an_archived_board_leaves_the_home_page_and_comes_back(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, _, _ = await shared_board(http)
    page = await (await new_context()).new_page()
    await sign_in(page, ada)
    await page.get_by_role("button", name="Archive board Archive plan").click()
    archived = page.get_by_test_id("archived-boards")
    await expect(archived.get_by_test_id("archived-board-tile")).to_have_count(1)
    await expect(page.get_by_test_id("board-tile")).to_have_count(0)
    await archived.get_by_role("link", name="Archive plan").click()
    await expect(page.get_by_test_id("archived-board-banner")).to_be_visible()
    async with page.expect_response(lambda r: r.url.endswith("/restore")) as answer:
        await page.get_by_role("button", name="Restore board").click()
    assert (await answer.value).status == 200
    await expect(page.get_by_test_id("archived-board-banner")).to_have_count(0)
    await page.goto("/")
    await expect(page.get_by_test_id("board-tile")).to_have_count(1)
    await expect(page.get_by_test_id("archived-boards")).to_have_count(0)
