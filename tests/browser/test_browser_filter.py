"""Filtering a board and searching every board, in a real browser: the filter is the URL's
query (reload and back keep it), only matching cards show (by text, assignee, several labels,
archived), and the header's search box finds a card on another board and opens it."""

from __future__ import annotations

import re
import uuid

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards, open_board, sign_in
from tests.e2e.boards_helpers import (
    create_board,
    create_label,
    create_list,
    create_task,
    ok,
    register,
)


async def test_filter_a_board_from_the_url_and_search_from_the_header(
    web_stack: Stack, new_context: NewContext, http: aiohttp.ClientSession
) -> None:
    ada = await register(http, "Ada Lovelace")
    board = await create_board(http, ada, "Launch plan")
    todo = await create_list(http, ada, board["id"], "To do")
    bug = await create_label(http, ada, board["id"], "Bug", "red")
    docs = await create_label(http, ada, board["id"], "Docs", "blue")
    for title, mine, label in (
        ("Fix login form", True, docs),
        ("Fix logo", False, bug),
        ("Write copy", True, bug),
        ("Old idea", True, None),
    ):
        made = await create_task(
            http,
            ada,
            board["id"],
            todo["id"],
            title,
            assigneeIds=[ada.id] if mine else [],
            labelIds=[label["id"]] if label else [],
        )
    await ok(http, ada, "POST", f"api/tasks/{made['id']}/archive")
    word = f"zephyr{uuid.uuid4().hex[:6]}"
    other = await create_board(http, ada, "Elsewhere")
    elsewhere = await create_list(http, ada, other["id"], "Ideas")
    found = await create_task(
        http, ada, other["id"], elsewhere["id"], "Plan the trip", description=f"the {word} route"
    )

    page = await (await new_context()).new_page()
    await sign_in(page, ada)
    await open_board(page, board["id"])
    await expect(cards(page, "To do")).to_have_count(3)

    # Text: the URL follows, only matching cards show.
    await page.get_by_label("Filter cards by text").fill("fix lo")
    await expect(page).to_have_url(re.compile(r"[?&]q=fix\+lo"))
    await expect(cards(page, "To do")).to_have_count(2)
    await expect(page.get_by_test_id("filter-count")).to_have_text("2 of 3 cards")

    # A second facet: assigned to me. The filter's boxes are clicked, not check()ed: a box
    # follows the URL, which the router updates in a transition, so its state is right a
    # moment after the click rather than at once (what check() demands).
    await page.get_by_label("Assignee: Anyone or nobody").click()
    await page.get_by_role("checkbox", name="Assigned to me").click()
    await expect(page.get_by_role("checkbox", name="Assigned to me")).to_be_checked()
    await page.keyboard.press("Escape")  # closes the menu
    await expect(page).to_have_url(re.compile(r"assignee=me"))
    await expect(cards(page, "To do")).to_have_count(1)
    await expect(cards(page, "To do").locator(".card-title")).to_have_text(["Fix login form"])

    # Reload keeps it; back drops the last facet.
    await page.reload()
    await expect(page.get_by_label("Filter cards by text")).to_have_value("fix lo")
    await expect(cards(page, "To do")).to_have_count(1)
    await page.go_back()
    await expect(page).not_to_have_url(re.compile(r"assignee="))
    await expect(cards(page, "To do")).to_have_count(2)

    # Opening a card and closing it keeps the filter.
    await cards(page, "To do").first.click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page).to_have_url(re.compile(r"q=fix\+lo"))
    await expect(cards(page, "To do")).to_have_count(2)

    # Clear, then by label: the URL names it, only its cards show; a second label adds its
    # cards (either label matches), and a reload keeps both.
    await page.get_by_role("button", name="Clear filter").click()
    await expect(cards(page, "To do")).to_have_count(3)
    await page.get_by_label("Label: Any label").click()
    await page.get_by_role("checkbox", name="Bug").click()
    await expect(page.get_by_role("checkbox", name="Bug")).to_be_checked()
    await expect(page).to_have_url(re.compile(rf"labelIds={bug['id']}(&|$)"))
    await expect(cards(page, "To do").locator(".card-title")).to_have_text(
        ["Fix logo", "Write copy"]
    )
    await page.get_by_role("checkbox", name="Docs").click()
    await expect(page.get_by_role("checkbox", name="Docs")).to_be_checked()
    await expect(page).to_have_url(re.compile(rf"labelIds={bug['id']}%2C{docs['id']}"))
    await expect(cards(page, "To do").locator(".card-title")).to_have_text(
        ["Fix login form", "Fix logo", "Write copy"]
    )
    await page.reload()
    await expect(cards(page, "To do").locator(".card-title")).to_have_text(
        ["Fix login form", "Fix logo", "Write copy"]
    )
    await page.get_by_label("Label: Bug, Docs").click()
    await expect(page.get_by_role("checkbox", name="Bug")).to_be_checked()
    await expect(page.get_by_role("checkbox", name="Docs")).to_be_checked()
    await page.keyboard.press("Escape")

    # The archived cards instead of the live ones (shareable too).
    await page.get_by_role("button", name="Clear filter").click()
    archived = page.get_by_role("checkbox", name="Archived cards")
    await archived.click()
    await expect(archived).to_be_checked()
    await expect(page).to_have_url(re.compile(r"archived=true"))
    await expect(cards(page, "To do").locator(".card-title")).to_have_text(["Old idea"])
    await archived.click()
    await expect(archived).not_to_be_checked()
    await expect(page).not_to_have_url(re.compile(r"archived=true"))
    await expect(cards(page, "To do")).to_have_count(3)

    # Search from the header, with the keyboard; the hit opens its card on the other board.
    search = page.get_by_label("Search cards in all your boards")
    await search.fill(word)
    await search.press("Enter")
    await expect(page).to_have_url(re.compile(rf"/search\?q={word}"))
    hit = page.get_by_test_id("search-hit")
    await expect(hit).to_have_count(1, timeout=15_000)
    await expect(hit).to_contain_text("Plan the trip")
    await expect(hit).to_contain_text("“Ideas” on “Elsewhere”")
    await expect(hit.locator("mark")).to_have_text(word)
    await hit.get_by_role("link").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(rf"/boards/{other['id']}/cards/{found['id']}"))
    await expect(page.get_by_role("dialog")).to_be_visible()
